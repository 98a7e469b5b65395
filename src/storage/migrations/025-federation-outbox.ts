/** The federation outbox (one row per EDU or PDU and destination) and the transactions received from other servers. */
import { autoId, type Migration } from "./helpers.js";

export const federationOutboxMigration: Migration = {
  name: "025-federation-outbox",
  async up({ db, dialect }) {
    await autoId(db.schema.createTable("federation_outbox"), "id", dialect)
      .addColumn("destination", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_ts", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("federation_outbox_destination").on("federation_outbox").columns(["destination", "id"]).execute();
    await db.schema
      .createTable("federation_inbound_txns")
      .addColumn("origin", "text", (c) => c.notNull())
      .addColumn("txn_id", "text", (c) => c.notNull())
      .addColumn("response", "text", (c) => c.notNull())
      .addColumn("received_ts", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("federation_inbound_txns_pk", ["origin", "txn_id"])
      .execute();
  },
};
