/** The threads of each room with their latest event, for GET /threads; filled from existing events. */
import { sql } from "../kysely.js";
import type { Migration } from "./helpers.js";

export const threadsMigration: Migration = {
  name: "010-threads",
  async up({ db }) {
    await db.schema
      .createTable("threads")
      .addColumn("room_nid", "bigint", (c) => c.notNull())
      .addColumn("thread_id", "text", (c) => c.notNull())
      .addColumn("latest_event_nid", "bigint", (c) => c.notNull())
      .addColumn("latest_depth", "bigint", (c) => c.notNull())
      .addColumn("latest_stream", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("threads_pk", ["room_nid", "thread_id"])
      .execute();
    await db.schema.createIndex("threads_room_latest").on("threads").columns(["room_nid", "latest_depth", "latest_stream"]).execute();

    // Threads of events stored before this migration: the newest unredacted m.thread event of each.
    const rows = await sql<{ room_nid: number; relates_to_id: string; event_nid: number; depth: number; stream_ordering: number }>`
      SELECT room_nid, relates_to_id, event_nid, depth, stream_ordering FROM events
      WHERE rel_type = 'm.thread' AND relates_to_id IS NOT NULL AND stream_ordering IS NOT NULL
        AND redacted_by_nid IS NULL AND rejected_reason IS NULL AND soft_failed = 0
      ORDER BY depth, stream_ordering`.execute(db);
    const latest = new Map<string, (typeof rows.rows)[number]>();
    for (const row of rows.rows) latest.set(`${row.room_nid}\u0000${row.relates_to_id}`, row);
    for (const row of latest.values()) {
      await sql`INSERT INTO threads (room_nid, thread_id, latest_event_nid, latest_depth, latest_stream)
        VALUES (${row.room_nid}, ${row.relates_to_id}, ${row.event_nid}, ${row.depth}, ${row.stream_ordering})`.execute(db);
    }
  },
};
