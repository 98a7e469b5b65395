/** Room events across several rooms in stream order, oldest first: what the legacy GET /events streams. */
import type { Db } from "./db.js";
import { shownInTimeline } from "./timeline-filter.js";

export class EventStreamStore {
  constructor(private readonly db: Db) {}

  /**
   * Event numbers of the rooms' events with stream positions in (after, upTo], oldest first, at most
   * `limit`. Outliers, rejected and soft-failed events never appear.
   */
  async eventsBetween(roomNids: readonly number[], after: number, upTo: number, limit: number): Promise<{ eventNid: number; streamOrdering: number }[]> {
    if (roomNids.length === 0 || upTo <= after) return [];
    const rows = await this.db.kysely
      .selectFrom("events")
      .select(["event_nid", "stream_ordering"])
      .where("room_nid", "in", roomNids)
      .where("stream_ordering", ">", after)
      .where("stream_ordering", "<=", upTo)
      .where(shownInTimeline)
      .orderBy("stream_ordering", "asc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ eventNid: Number(r.event_nid), streamOrdering: Number(r.stream_ordering) }));
  }
}
