/**
 * The full-text search index of room events. The words themselves live in a dialect-specific part
 * that Kysely does not see: an FTS5 table `event_search_fts` (rowid = event_nid) on SQLite, a
 * `vector tsvector` column with a GIN index on PostgreSQL (migration 015).
 */
export interface EventSearchTable {
  event_nid: number;
  room_nid: number;
  sender: string;
  /** The searched key: content.body, content.name or content.topic. */
  key: string;
  stream_ordering: number;
  origin_server_ts: number;
}

/** One row (id 0): events built here up to this number have their index rows (migration 031). */
export interface SearchIndexProgressTable {
  id: number;
  event_nid: number;
}

export interface SearchTables {
  event_search: EventSearchTable;
  search_index_progress: SearchIndexProgressTable;
}
