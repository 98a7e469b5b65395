/**
 * How far the full-text index is known complete for events built here (search-indexer.ts): on SQLite
 * their index rows are written in batches after the events commit, and a start after a crash indexes
 * what came after this event number. One row; it starts at the newest event, all indexed until now.
 */
import { sql } from "../kysely.js";
import type { Migration } from "./helpers.js";

export const searchIndexProgressMigration: Migration = {
  name: "031-search-index-progress",
  async up({ db }) {
    await db.schema
      .createTable("search_index_progress")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("event_nid", "bigint", (c) => c.notNull())
      .execute();
    await sql`INSERT INTO search_index_progress (id, event_nid) SELECT 0, COALESCE(MAX(event_nid), 0) FROM events`.execute(db);
  },
};
