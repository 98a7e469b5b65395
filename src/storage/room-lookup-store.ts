/** Lookups across a room's timeline and memberships: the event nearest a timestamp, rooms two users share. */
import type { Db } from "./db.js";
import { sharedRooms } from "./room-store.js";
import { shownInTimeline } from "./timeline-filter.js";

export class RoomLookupStore {
  constructor(private readonly db: Db) {}

  /**
   * The event of the room closest to `ts` in direction `dir` (inclusive): the smallest timestamp at or
   * after it ("f") or the largest at or before it ("b"). Ties go to the topologically next event, then
   * to the stream order (as Synapse). Outliers, rejected and soft-failed events never count.
   */
  async eventNearTimestamp(roomNid: number, ts: number, dir: "f" | "b"): Promise<{ eventNid: number; originServerTs: number } | undefined> {
    const order = dir === "f" ? "asc" : "desc";
    const row = await this.db.kysely
      .selectFrom("events")
      .select(["event_nid", "origin_server_ts"])
      .where("room_nid", "=", roomNid)
      .where("origin_server_ts", dir === "f" ? ">=" : "<=", ts)
      .where("stream_ordering", "is not", null)
      .where("outlier", "=", 0)
      .where(shownInTimeline)
      .orderBy("origin_server_ts", order)
      .orderBy("depth", order)
      .orderBy("stream_ordering", order)
      .limit(1)
      .executeTakeFirst();
    return row ? { eventNid: Number(row.event_nid), originServerTs: Number(row.origin_server_ts) } : undefined;
  }

  /** Rooms both users are joined to, by room ID, after `afterRoomId`, at most `limit`. */
  async mutualRooms(userA: string, userB: string, afterRoomId: string | undefined, limit: number): Promise<string[]> {
    return sharedRooms(this.db, userA, userB, { afterRoomId, limit });
  }

  /** How many rooms both users are joined to. */
  async countMutualRooms(userA: string, userB: string): Promise<number> {
    const row = await this.db.kysely
      .selectFrom("room_memberships as a")
      .innerJoin("room_memberships as b", "a.room_nid", "b.room_nid")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("a.user_id", "=", userA)
      .where("a.membership", "=", "join")
      .where("b.user_id", "=", userB)
      .where("b.membership", "=", "join")
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
