/**
 * New push actions are written to a staging table ordered by room and stream position, and moved in
 * batches into `event_push_actions`, which is ordered by user (its index by user and room is what
 * unread counts read). Written straight there, a message in a room of a hundred local members put one
 * entry at the end of each member's range of that index: a hundred B-tree pages changed for one
 * message, each a 4 KiB page of SQLite's write-ahead log (measured: ~150 pages, ~600 KiB of WAL per
 * message in a room of 100, where the rest of the message takes 14). Staged, a message's entries lie
 * together (a page or two), and a move carries many messages' entries to each member's range at once.
 * Readers read both tables in one statement (storage/push-action-store.ts, storage/pusher-store.ts).
 */
import { sql } from "../kysely.js";
import type { Migration } from "./helpers.js";

export const pushActionsStagingMigration: Migration = {
  name: "035-push-actions-staging",
  async up({ db, dialect }) {
    await sql`CREATE TABLE event_push_actions_staging (
      event_nid BIGINT NOT NULL, room_nid BIGINT NOT NULL, user_id TEXT NOT NULL, thread_id TEXT NOT NULL,
      stream_ordering BIGINT NOT NULL, notify INTEGER NOT NULL, highlight INTEGER NOT NULL, actions TEXT NOT NULL,
      PRIMARY KEY (room_nid, stream_ordering, user_id))${sql.raw(dialect === "sqlite" ? " WITHOUT ROWID" : "")}`.execute(db);
  },
};
