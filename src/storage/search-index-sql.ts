/**
 * Writing the full-text index on either database: the `event_search` row (room, sender, key, stream
 * position) and the words (FTS5 table on SQLite, tsvector column on PostgreSQL). Shared by the search
 * store and migration 015's backfill.
 */
import { sql, type QueryExecutorProvider } from "./kysely.js";
import { SEARCHABLE_TYPES, searchableTextOfEvent } from "../protocol/search-keys.js";
import type { DialectName } from "./db.js";
import { indexText } from "./search-text.js";
import { Statement, type QueryRunner } from "./statement.js";

const insertSearchRow = new Statement(`INSERT INTO event_search (event_nid, room_nid, sender, key, stream_ordering, origin_server_ts) VALUES (?, ?, ?, ?, ?, ?)`);
const insertFtsRow = new Statement(`INSERT INTO event_search_fts (rowid, value) VALUES (?, ?)`);
const deleteFtsRow = new Statement(`DELETE FROM event_search_fts WHERE rowid = ?`);
const deleteSearchRowOf = new Statement(`DELETE FROM event_search WHERE event_nid = ?`);
const insertSearchRowWithVector = new Statement(
  `INSERT INTO event_search (event_nid, room_nid, sender, key, stream_ordering, origin_server_ts, vector) VALUES (?, ?, ?, ?, ?, ?, to_tsvector('english', ?))`,
  { batchAs: "event_search" },
);

export interface SearchRow {
  eventNid: number;
  roomNid: number;
  sender: string;
  key: string;
  streamOrdering: number;
  originServerTs: number;
  /** The searchable text as in the event (normalised here). */
  text: string;
}

/**
 * Indexes events. With `replace`, earlier rows of the same events go first; events persisted for the
 * first time have none, and skipping the two deletes matters on the send path.
 */
export async function writeSearchRows(executor: QueryRunner, dialect: DialectName, rows: readonly SearchRow[], options: { replace?: boolean } = {}): Promise<void> {
  for (const row of rows) {
    const words = indexText(row.text);
    if (options.replace) await deleteSearchRow(executor, dialect, row.eventNid);
    if (words.length === 0) continue;
    const params = [row.eventNid, row.roomNid, row.sender, row.key, row.streamOrdering, row.originServerTs];
    if (dialect === "sqlite") {
      await insertSearchRow.all(dialect, executor, params);
      await insertFtsRow.all(dialect, executor, [row.eventNid, words]);
    } else {
      await insertSearchRowWithVector.all(dialect, executor, [...params, words]);
    }
  }
}

/** Removes an event from the index (redacted); nothing happens if it was not indexed. */
export async function deleteSearchRow(executor: QueryRunner, dialect: DialectName, eventNid: number): Promise<void> {
  if (dialect === "sqlite") await deleteFtsRow.all(dialect, executor, [eventNid]);
  await deleteSearchRowOf.all(dialect, executor, [eventNid]);
}

/**
 * Indexes the searchable events stored after event number `after` that are shown to clients and have
 * no index row yet, a page at a time; returns how many rows it wrote. Migration 015 indexes what was
 * stored before the index existed with it; a start after a crash, what the crash left out
 * (search-indexer.ts).
 */
export async function indexStoredEvents(db: QueryExecutorProvider & QueryRunner, dialect: DialectName, after: number): Promise<number> {
  const types = [...SEARCHABLE_TYPES];
  let written = 0;
  for (;;) {
    const { rows } = await sql<{ event_nid: number; room_nid: number; stream_ordering: number; json: string }>`
      SELECT event_nid, room_nid, stream_ordering, json FROM events
      WHERE event_nid > ${after} AND type IN (${sql.join(types)}) AND stream_ordering IS NOT NULL
        AND rejected_reason IS NULL AND soft_failed = 0 AND redacted_by_nid IS NULL
        AND NOT EXISTS (SELECT 1 FROM event_search s WHERE s.event_nid = events.event_nid)
      ORDER BY event_nid LIMIT 500`.execute(db);
    if (rows.length === 0) return written;
    const out: SearchRow[] = [];
    for (const row of rows) {
      const pdu = JSON.parse(row.json) as { type: string; state_key?: unknown; content?: unknown; sender: string; origin_server_ts: number };
      const found = searchableTextOfEvent(pdu);
      if (!found) continue;
      out.push({
        eventNid: Number(row.event_nid),
        roomNid: Number(row.room_nid),
        sender: pdu.sender,
        key: found.key,
        streamOrdering: Number(row.stream_ordering),
        originServerTs: Number(pdu.origin_server_ts),
        text: found.text,
      });
    }
    await writeSearchRows(db, dialect, out);
    written += out.length;
    after = Number((rows[rows.length - 1] as { event_nid: number }).event_nid);
  }
}
