/** Other servers' signing keys (federation request and event signatures) and their key documents. */
import type { Migration } from "./helpers.js";

export const federationKeysMigration: Migration = {
  name: "024-federation-keys",
  async up({ db }) {
    await db.schema
      .createTable("server_keys")
      .addColumn("server_name", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("public_key", "text", (c) => c.notNull())
      .addColumn("valid_until_ts", "bigint", (c) => c.notNull())
      .addColumn("expired_ts", "bigint")
      .addColumn("fetched_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("server_keys_pk", ["server_name", "key_id"])
      .execute();
    await db.schema
      .createTable("server_key_documents")
      .addColumn("server_name", "text", (c) => c.primaryKey())
      .addColumn("json", "text", (c) => c.notNull())
      .addColumn("valid_until_ts", "bigint", (c) => c.notNull())
      .addColumn("fetched_ts", "bigint", (c) => c.notNull())
      .execute();
  },
};
