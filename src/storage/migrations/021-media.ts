/** The content repository's metadata: one row per mxc:// URI (the bytes are files named by their hash). */
import type { Migration } from "./helpers.js";

export const mediaMigration: Migration = {
  name: "021-media",
  async up({ db }) {
    await db.schema
      .createTable("media")
      .addColumn("server_name", "text", (c) => c.notNull())
      .addColumn("media_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text")
      .addColumn("content_type", "text")
      .addColumn("upload_name", "text")
      .addColumn("size", "bigint")
      .addColumn("sha256", "text")
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .addColumn("last_access_ts", "bigint", (c) => c.notNull())
      .addColumn("quarantined", "integer", (c) => c.notNull())
      .addColumn("auth_required", "integer", (c) => c.notNull())
      .addColumn("pending", "integer", (c) => c.notNull())
      .addColumn("unused_expires_ts", "bigint")
      .addPrimaryKeyConstraint("media_pk", ["server_name", "media_id"])
      .execute();
    // Whether a file is still named by another row before it is deleted.
    await db.schema.createIndex("media_sha256").on("media").column("sha256").execute();
    // A user's uploads: quota sums, pending counts, admin deletion by user.
    await db.schema.createIndex("media_user").on("media").columns(["user_id", "created_ts"]).execute();
    // Retention and admin deletion by age.
    await db.schema.createIndex("media_last_access").on("media").columns(["server_name", "last_access_ts"]).execute();
  },
};
