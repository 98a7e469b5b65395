/**
 * The full-text search index of room events (client-server API "Server Side Search"): `event_search`
 * on both databases, the words in an FTS5 table on SQLite (contentless: the text is in the events
 * already) and in a tsvector column with a GIN index on PostgreSQL. Events stored before this
 * migration are indexed by it.
 */
import { sql } from "kysely";
import { SEARCHABLE_TYPES, searchableText } from "../../protocol/search-keys.js";
import { isJsonObject } from "../../protocol/json.js";
import { writeSearchRows, type SearchRow } from "../search-index-sql.js";
import type { Migration, MigrationContext } from "./helpers.js";

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
    await backfill(context);
  },
};

/** Indexes the searchable events already stored, in batches. */
async function backfill({ db, dialect }: MigrationContext): Promise<void> {
  const types = [...SEARCHABLE_TYPES];
  let after = -1;
  for (;;) {
    const { rows } = await sql<{ event_nid: number; room_nid: number; type: string; sender: string; stream_ordering: number; origin_server_ts: number; json: string }>`
      SELECT event_nid, room_nid, type, sender, stream_ordering, origin_server_ts, json FROM events
      WHERE event_nid > ${after} AND type IN (${sql.join(types)}) AND stream_ordering IS NOT NULL
        AND rejected_reason IS NULL AND soft_failed = 0 AND redacted_by_nid IS NULL
      ORDER BY event_nid LIMIT 500`.execute(db);
    if (rows.length === 0) return;
    const out: SearchRow[] = [];
    for (const row of rows) {
      const pdu = JSON.parse(row.json) as { content?: unknown; state_key?: unknown };
      if (!isJsonObject(pdu.content)) continue;
      // Names and topics are state events; a message-typed event is searched only when it is not state.
      if ((row.type === "m.room.message") !== (pdu.state_key === undefined)) continue;
      const found = searchableText(row.type, pdu.content);
      if (!found) continue;
      out.push({
        eventNid: Number(row.event_nid),
        roomNid: Number(row.room_nid),
        sender: row.sender,
        key: found.key,
        streamOrdering: Number(row.stream_ordering),
        originServerTs: Number(row.origin_server_ts),
        text: found.text,
      });
    }
    await writeSearchRows(db, dialect, out);
    after = Number((rows[rows.length - 1] as { event_nid: number }).event_nid);
  }
}
