/** Pushers: one row per (user, app ID, pushkey); delivery progress is kept on the row (schema/pushers.ts). */
import { autoId, type Migration } from "./helpers.js";

export const pushersMigration: Migration = {
  name: "022-pushers",
  async up({ db, dialect }) {
    await autoId(db.schema.createTable("pushers"), "id", dialect)
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("app_id", "text", (c) => c.notNull())
      .addColumn("pushkey", "text", (c) => c.notNull())
      .addColumn("pushkey_ts", "bigint", (c) => c.notNull())
      .addColumn("app_display_name", "text", (c) => c.notNull())
      .addColumn("device_display_name", "text", (c) => c.notNull())
      .addColumn("profile_tag", "text")
      .addColumn("lang", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("device_id", "text")
      .addColumn("access_token_id", "bigint")
      .addColumn("last_stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("last_success_ts", "bigint")
      .addColumn("failing_since_ts", "bigint")
      .addUniqueConstraint("pushers_user_app_pushkey", ["user_id", "app_id", "pushkey"])
      .execute();
    // Setting a pusher removes other users' pushers with the same app ID and pushkey.
    await db.schema.createIndex("pushers_app_pushkey").on("pushers").columns(["app_id", "pushkey"]).execute();
  },
};
