/**
 * Reads for the room directory and room summaries: which rooms are published, their joined-member
 * counts, and the handful of current state events (state key "") a summary is made of, for many rooms
 * at once without loading their whole state.
 */
import type { Db } from "./db.js";

export interface PublishedRoom {
  roomNid: number;
  roomId: string;
  roomVersion: string;
}

export class DirectoryStore {
  constructor(private readonly db: Db) {}

  /** The room's directory visibility read from the database (not a cache: another process may have changed it). */
  async visibility(roomId: string): Promise<"public" | "private" | undefined> {
    const row = await this.db.kysely.selectFrom("rooms").select("visibility").where("room_id", "=", roomId).executeTakeFirst();
    if (!row) return undefined;
    return row.visibility === "public" ? "public" : "private";
  }

  /** Every room published in the local directory. */
  async publishedRooms(): Promise<PublishedRoom[]> {
    const rows = await this.db.kysely
      .selectFrom("rooms")
      .select(["room_nid", "room_id", "room_version"])
      .where("visibility", "=", "public")
      .orderBy("room_id")
      .execute();
    return rows.map((r) => ({ roomNid: Number(r.room_nid), roomId: r.room_id, roomVersion: r.room_version }));
  }

  /** Joined members per room (rooms without any are absent from the map). */
  async joinedCounts(roomNids: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (let i = 0; i < roomNids.length; i += 500) {
      const rows = await this.db.kysely
        .selectFrom("room_memberships")
        .select(["room_nid", (eb) => eb.fn.countAll<number>().as("n")])
        .where("room_nid", "in", roomNids.slice(i, i + 500))
        .where("membership", "=", "join")
        .groupBy("room_nid")
        .execute();
      for (const r of rows) out.set(Number(r.room_nid), Number(r.n));
    }
    return out;
  }

  /** The event numbers of the current state events with state key "" of the given types, per room. */
  async currentStateOfTypes(roomNids: readonly number[], types: readonly string[]): Promise<Map<number, Map<string, number>>> {
    const out = new Map<number, Map<string, number>>();
    if (types.length === 0) return out;
    for (let i = 0; i < roomNids.length; i += 500) {
      const rows = await this.db.kysely
        .selectFrom("current_state")
        .innerJoin("state_keys", "state_keys.state_key_nid", "current_state.state_key_nid")
        .select(["current_state.room_nid", "state_keys.event_type", "current_state.event_nid"])
        .where("current_state.room_nid", "in", roomNids.slice(i, i + 500))
        .where("state_keys.event_type", "in", [...types])
        .where("state_keys.state_key", "=", "")
        .execute();
      for (const r of rows) {
        const roomNid = Number(r.room_nid);
        let map = out.get(roomNid);
        if (!map) out.set(roomNid, (map = new Map()));
        map.set(r.event_type, Number(r.event_nid));
      }
    }
    return out;
  }
}
