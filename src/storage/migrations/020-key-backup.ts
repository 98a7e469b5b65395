/** Server-side key backups: the versions of each user's backup and the session keys they hold. */
import type { Migration } from "./helpers.js";

export const keyBackupMigration: Migration = {
  name: "020-key-backup",
  async up({ db }) {
    await db.schema
      .createTable("key_backup_versions")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("version", "bigint", (c) => c.notNull())
      .addColumn("algorithm", "text", (c) => c.notNull())
      .addColumn("auth_data", "text", (c) => c.notNull())
      .addColumn("etag", "bigint", (c) => c.notNull())
      .addColumn("deleted", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("key_backup_versions_pk", ["user_id", "version"])
      .execute();

    // The primary key serves every query: a whole version, one room of it, or one session.
    await db.schema
      .createTable("key_backup_keys")
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("version", "bigint", (c) => c.notNull())
      .addColumn("room_id", "text", (c) => c.notNull())
      .addColumn("session_id", "text", (c) => c.notNull())
      .addColumn("first_message_index", "bigint", (c) => c.notNull())
      .addColumn("forwarded_count", "bigint", (c) => c.notNull())
      .addColumn("is_verified", "integer", (c) => c.notNull())
      .addColumn("session_data", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("key_backup_keys_pk", ["user_id", "version", "room_id", "session_id"])
      .execute();
  },
};
