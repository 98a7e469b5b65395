/** Reads /sync needs across all rooms at once (the per-room reads are in event-store and room-store). */
import type { Db } from "./db.js";

export class SyncStore {
  constructor(private readonly db: Db) {}

  /**
   * Every room with an event whose stream position is in (after, upTo]: walks the unique index on
   * stream_ordering, so it costs what the range holds, whoever asks. Callers keep the range short.
   */
  async roomsWithEventsBetween(after: number, upTo: number): Promise<Set<number>> {
    const rows = await this.db.kysely
      .selectFrom("events")
      .select("room_nid")
      .distinct()
      .where("stream_ordering", ">", after)
      .where("stream_ordering", "<=", upTo)
      .execute();
    return new Set(rows.map((r) => Number(r.room_nid)));
  }
}
