/**
 * Rooms joined with partial state (server-server API "Joining Rooms", `omit_members`): which servers
 * were in the room when we joined (our events go to them until we know every member), and the events
 * persisted since the join, whose state snapshots lack the omitted members until the full state has
 * arrived and they are rewritten.
 */
import type { Executor, Tx } from "./db.js";

export interface PartialStateRoom {
  roomNid: number;
  joinEventId: string;
  servers: string[];
  joinedTs: number;
}

export class PartialStateStore {
  async insert(tx: Tx, room: PartialStateRoom): Promise<void> {
    await tx.db
      .insertInto("partial_state_rooms")
      .values({ room_nid: room.roomNid, join_event_id: room.joinEventId, servers: JSON.stringify(room.servers), joined_ts: room.joinedTs })
      .execute();
  }

  async get(executor: Executor, roomNid: number): Promise<PartialStateRoom | undefined> {
    const row = await executor.selectFrom("partial_state_rooms").selectAll().where("room_nid", "=", roomNid).executeTakeFirst();
    return row ? toRoom(row) : undefined;
  }

  async all(executor: Executor): Promise<PartialStateRoom[]> {
    return (await executor.selectFrom("partial_state_rooms").selectAll().execute()).map(toRoom);
  }

  async remove(tx: Tx, roomNid: number): Promise<void> {
    await tx.db.deleteFrom("partial_state_rooms").where("room_nid", "=", roomNid).execute();
  }

  /** The room's events from `fromStreamOrdering` on, in stream order, with their state snapshots. */
  async eventsSince(executor: Executor, roomNid: number, fromStreamOrdering: number): Promise<{ eventNid: number; snapshotNid: number | null }[]> {
    const rows = await executor
      .selectFrom("events")
      .select(["event_nid", "state_snapshot_nid"])
      .where("room_nid", "=", roomNid)
      .where("stream_ordering", ">=", fromStreamOrdering)
      .where("outlier", "=", 0)
      .orderBy("stream_ordering")
      .execute();
    return rows.map((r) => ({ eventNid: Number(r.event_nid), snapshotNid: r.state_snapshot_nid === null ? null : Number(r.state_snapshot_nid) }));
  }

  async setSnapshot(tx: Tx, eventNid: number, snapshotNid: number): Promise<void> {
    await tx.db.updateTable("events").set({ state_snapshot_nid: snapshotNid }).where("event_nid", "=", eventNid).execute();
  }
}

function toRoom(row: { room_nid: number; join_event_id: string; servers: string; joined_ts: number }): PartialStateRoom {
  const servers = JSON.parse(row.servers) as unknown;
  return {
    roomNid: Number(row.room_nid),
    joinEventId: row.join_event_id,
    servers: Array.isArray(servers) ? servers.filter((s): s is string => typeof s === "string") : [],
    joinedTs: Number(row.joined_ts),
  };
}
