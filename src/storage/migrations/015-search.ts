/**
 * The full-text search index of room events (client-server API "Server Side Search"): `event_search`
 * on both databases, the words in an FTS5 table on SQLite (contentless: the text is in the events
 * already) and in a tsvector column with a GIN index on PostgreSQL. Events stored before this
 * migration are indexed by it.
 */
import { sql } from "../kysely.js";
import { indexStoredEvents } from "../search-index-sql.js";
import type { Migration } from "./helpers.js";

export const searchMigration: Migration = {
  name: "015-search",
  async up(context) {
    const { db, dialect } = context;
    await db.schema
      .createTable("event_search")
      .addColumn("event_nid", "bigint", (c) => c.primaryKey())
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("sender", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("stream_ordering", "bigint", (c) => c.notNull())
      .addColumn("origin_server_ts", "bigint", (c) => c.notNull())
      .execute();
    // "recent" order and pagination walk stream positions within the searched rooms.
    await db.schema.createIndex("event_search_room_stream").on("event_search").columns(["room_nid", "stream_ordering"]).execute();
    if (dialect === "sqlite") {
      // Words are normalised before they are stored (storage/search-text.ts); porter stems English.
      await sql`CREATE VIRTUAL TABLE event_search_fts USING fts5(value, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2')`.execute(db);
    } else {
      await sql`ALTER TABLE event_search ADD COLUMN vector tsvector NOT NULL`.execute(db);
      await sql`CREATE INDEX event_search_vector ON event_search USING GIN (vector)`.execute(db);
    }
    await indexStoredEvents(db, dialect, -1);
  },
};
