/**
 * Push: where each user last sent an event in each room and thread (their own event counts as read,
 * as in Synapse), the push-rules change stream (m.push_rules in /sync account data), and an index
 * for GET /notifications, which pages a user's notifications across rooms by stream position.
 */
import type { Migration } from "./helpers.js";

export const pushMigration: Migration = {
  name: "011-push",
  async up({ db }) {
    await db.schema
      .createTable("push_sent_positions")
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("thread_id", "text", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("push_sent_positions_pk", ["room_nid", "user_id", "thread_id"])
      .execute();
    await db.schema.createIndex("push_sent_positions_user").on("push_sent_positions").columns(["user_id", "room_nid"]).execute();

    await db.schema
      .createTable("push_rules_stream")
      .addColumn("user_id", "text", (c) => c.primaryKey())
      .addColumn("stream_id", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("push_rules_stream_id").on("push_rules_stream").column("stream_id").execute();

    await db.schema.createIndex("event_push_actions_user_stream").on("event_push_actions").columns(["user_id", "stream_ordering"]).execute();
  },
};
