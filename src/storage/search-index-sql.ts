/**
 * Writing the full-text index on either database: the `event_search` row (room, sender, key, stream
 * position) and the words (FTS5 table on SQLite, tsvector column on PostgreSQL). Shared by the search
 * store and migration 015's backfill.
 */
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
