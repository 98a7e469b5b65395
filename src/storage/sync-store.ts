/** Reads /sync needs across all rooms at once (the per-room reads are in event-store and room-store). */
import { sql } from "./kysely.js";
import type { Db } from "./db.js";
import { shownInTimeline } from "./timeline-filter.js";

/** Joined and invited counts and up to `limit` heroes of a room, as RoomStore.summary. */
export interface RoomSummaryCounts {
  joined: number;
  invited: number;
  heroes: string[];
}

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

  /**
   * RoomStore.summary for many rooms in two queries: the counts, and the first `limit` joined or
   * invited members other than `excludeUserId` by membership order. A room where no one else is
   * joined or invited is absent (the caller asks RoomStore.summary, which falls back to former members).
   */
  async summaries(roomNids: readonly number[], excludeUserId: string, limit = 5): Promise<Map<number, RoomSummaryCounts>> {
    const out = new Map<number, RoomSummaryCounts>();
    for (let i = 0; i < roomNids.length; i += 500) {
      const chunk = roomNids.slice(i, i + 500);
      const counts = await this.db.kysely
        .selectFrom("room_memberships")
        .select(["room_nid", "membership", (eb) => eb.fn.countAll<number>().as("n")])
        .where("room_nid", "in", chunk)
        .where("membership", "in", ["join", "invite"])
        .groupBy(["room_nid", "membership"])
        .execute();
      const ranked = this.db.kysely
        .selectFrom("room_memberships")
        .select(["room_nid", "user_id", sql<number>`row_number() over (partition by room_nid order by stream_ordering)`.as("rank")])
        .where("room_nid", "in", chunk)
        .where("user_id", "!=", excludeUserId)
        .where("membership", "in", ["join", "invite"])
        .as("ranked");
      const heroes = await this.db.kysely
        .selectFrom(ranked)
        .select(["room_nid", "user_id"])
        .where("rank", "<=", limit)
        .orderBy("room_nid")
        .orderBy("rank")
        .execute();
      for (const row of heroes) {
        const roomNid = Number(row.room_nid);
        let summary = out.get(roomNid);
        if (!summary) out.set(roomNid, (summary = { joined: 0, invited: 0, heroes: [] }));
        summary.heroes.push(row.user_id);
      }
      for (const row of counts) {
        const summary = out.get(Number(row.room_nid));
        if (!summary) continue;
        if (row.membership === "join") summary.joined = Number(row.n);
        else summary.invited = Number(row.n);
      }
    }
    return out;
  }

  /**
   * For each room, the numbers of its newest `limit` timeline events at or before `upTo`, newest
   * first (what EventStore.roomEventsByStream gives for one room from the start), in one query per
   * 500 rooms. Rooms without such events are absent.
   */
  async newestEventNids(roomNids: readonly number[], upTo: number, limit: number): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    for (let i = 0; i < roomNids.length; i += 500) {
      const ranked = this.db.kysely
        .selectFrom("events")
        .select(["room_nid", "event_nid", "stream_ordering", sql<number>`row_number() over (partition by room_nid order by stream_ordering desc)`.as("rank")])
        .where("room_nid", "in", roomNids.slice(i, i + 500))
        .where("stream_ordering", "<=", upTo)
        .where("stream_ordering", ">", 0)
        .where(shownInTimeline)
        .as("ranked");
      const rows = await this.db.kysely.selectFrom(ranked).select(["room_nid", "event_nid"]).where("rank", "<=", limit).orderBy("room_nid").orderBy("rank").execute();
      for (const row of rows) {
        const roomNid = Number(row.room_nid);
        let list = out.get(roomNid);
        if (!list) out.set(roomNid, (list = []));
        list.push(Number(row.event_nid));
      }
    }
    return out;
  }

  /** Which of these events some other event relates to (m.relates_to), in one query per 500. */
  async relationTargets(eventIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < eventIds.length; i += 500) {
      const rows = await this.db.kysely.selectFrom("events").select("relates_to_id").distinct().where("relates_to_id", "in", eventIds.slice(i, i + 500)).execute();
      for (const row of rows) if (row.relates_to_id !== null) out.add(row.relates_to_id);
    }
    return out;
  }
}
