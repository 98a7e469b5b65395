/** Third-party identifiers (e-mail addresses, phone numbers) bound to accounts, for login and lookup. */
import type { Migration } from "./helpers.js";

export const threepidsMigration: Migration = {
  name: "004-threepids",
  async up({ db }) {
    await db.schema
      .createTable("user_threepids")
      .addColumn("medium", "text", (c) => c.notNull())
      .addColumn("address", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("validated_ts", "bigint", (c) => c.notNull())
      .addColumn("added_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("user_threepids_pk", ["medium", "address"])
      .execute();
    await db.schema.createIndex("user_threepids_user").on("user_threepids").column("user_id").execute();
  },
};
