/** Account data, receipts, presence, filters, push rules and actions, user directory, server notices. */
import type { Migration } from "./helpers.js";

export const userDataMigration: Migration = {
  name: "003-user-data",
  async up({ db }) {
    await db.schema
      .createTable("account_data")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("content", "text", (c) => c.notNull())
      .addColumn("stream_id", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("account_data_pk", ["user_id", "room_id", "type"])
      .execute();
    await db.schema.createIndex("account_data_stream").on("account_data").columns(["user_id", "stream_id"]).execute();

    await db.schema
      .createTable("receipts")
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("receipt_type", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("thread_id", "text", (c) => c.notNull())
      .addColumn("event_id", "text", (c) => c.notNull())
      .addColumn("event_stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("stream_id", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("receipts_pk", ["room_id", "receipt_type", "user_id", "thread_id"])
      .execute();
    await db.schema.createIndex("receipts_stream").on("receipts").column("stream_id").execute();
    await db.schema.createIndex("receipts_user").on("receipts").columns(["user_id", "room_id"]).execute();

    await db.schema
      .createTable("presence")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("status_msg", "text")
      .addColumn("last_active_ts", "bigint", (c) => c.notNull())
      .addColumn("last_user_sync_ts", "bigint", (c) => c.notNull())
      .addColumn("currently_active", "integer", (c) => c.notNull())
      .addColumn("stream_id", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("presence_stream").on("presence").column("stream_id").execute();

    await db.schema
      .createTable("filters")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("filter_id", "bigint", (c) => c.notNull())
      .addColumn("json", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("filters_pk", ["user_id", "filter_id"])
      .execute();

    await db.schema
      .createTable("push_rules")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("rule_id", "text", (c) => c.notNull())
      .addColumn("priority", "bigint", (c) => c.notNull())
      .addColumn("conditions", "text")
      .addColumn("pattern", "text")
      .addColumn("actions", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("push_rules_pk", ["user_id", "kind", "rule_id"])
      .execute();

    await db.schema
      .createTable("push_rule_settings")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("rule_id", "text", (c) => c.notNull())
      .addColumn("enabled", "integer")
      .addColumn("actions", "text")
      .addPrimaryKeyConstraint("push_rule_settings_pk", ["user_id", "kind", "rule_id"])
      .execute();

    await db.schema
      .createTable("event_push_actions")
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("thread_id", "text", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("notify", "integer", (c) => c.notNull())
      .addColumn("highlight", "integer", (c) => c.notNull())
      .addColumn("actions", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("event_push_actions_pk", ["event_nid", "user_id"])
      .execute();
    await db.schema
      .createIndex("event_push_actions_user_room")
      .on("event_push_actions")
      .columns(["user_id", "room_nid", "stream_ordering"])
      .execute();

    await db.schema
      .createTable("user_directory")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("display_name", "text")
      .addColumn("avatar_url", "text")
      .execute();

    await db.schema
      .createTable("server_notice_rooms")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("room_id", "text", (c) => c.notNull())
      .execute();
  },
};
