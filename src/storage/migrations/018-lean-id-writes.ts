/**
 * Two more pages fewer per sent message on SQLite (see 017):
 * - `event_ids` numbers events with its rowid instead of AUTOINCREMENT, which wrote the
 *   `sqlite_sequence` table on every new ID. Event IDs are never deleted, so a rowid is never handed
 *   out twice either way;
 * - `event_txn_ids` is stored WITHOUT ROWID, its primary key being the row.
 * PostgreSQL keeps its sequences and heap tables: neither costs it an extra page per row.
 */
import { sql } from "../kysely.js";
import type { Migration } from "./helpers.js";

export const leanIdWritesMigration: Migration = {
  name: "018-lean-id-writes",
  async up({ db, dialect }) {
    if (dialect !== "sqlite") return;
    await sql`CREATE TABLE event_ids_rebuilt (event_nid INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE)`.execute(db);
    await sql`INSERT INTO event_ids_rebuilt (event_nid, event_id) SELECT event_nid, event_id FROM event_ids`.execute(db);
    await sql`DROP TABLE event_ids`.execute(db);
    await sql`ALTER TABLE event_ids_rebuilt RENAME TO event_ids`.execute(db);

    await sql`CREATE TABLE event_txn_ids_rebuilt (
      room_nid INTEGER NOT NULL, user_id TEXT NOT NULL, device_id TEXT NOT NULL, txn_id TEXT NOT NULL,
      event_nid INTEGER NOT NULL, created_ts INTEGER NOT NULL,
      PRIMARY KEY (room_nid, user_id, device_id, txn_id)) WITHOUT ROWID`.execute(db);
    await sql`INSERT INTO event_txn_ids_rebuilt SELECT room_nid, user_id, device_id, txn_id, event_nid, created_ts FROM event_txn_ids`.execute(db);
    await sql`DROP TABLE event_txn_ids`.execute(db);
    await sql`ALTER TABLE event_txn_ids_rebuilt RENAME TO event_txn_ids`.execute(db);
    await sql`CREATE INDEX event_txn_ids_event ON event_txn_ids (event_nid)`.execute(db);
  },
};
