/**
 * The device-list stream and the membership facts /sync's `device_lists` and `/keys/changes` are
 * computed from: whose devices or cross-signing keys changed, who shares a room with whom, and whose
 * membership changed in a user's rooms between two positions of the events stream.
 */
import type { Db, Executor } from "./db.js";

export interface MembershipChange {
  roomNid: number;
  userId: string;
  membership: string;
}

export class DeviceListStore {
  constructor(private readonly db: Db) {}

  async addChange(executor: Executor, streamId: number, userId: string, forUserId: string | null = null): Promise<void> {
    await executor.insertInto("device_list_changes").values({ stream_id: streamId, user_id: userId, for_user_id: forUserId }).execute();
  }

  /** The position of a user's latest device-list change (0 if none): the version of their device list. */
  async latestChangeOf(userId: string, executor: Executor = this.db.kysely): Promise<number> {
    const row = await executor.selectFrom("device_list_changes").select((eb) => eb.fn.max("stream_id").as("max")).where("user_id", "=", userId).where("for_user_id", "is", null).executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  /** Users whose devices changed in (after, upTo], with the change's audience (null: everyone sharing a room). */
  async changesBetween(after: number, upTo: number): Promise<{ userId: string; forUserId: string | null }[]> {
    if (after >= upTo) return [];
    const rows = await this.db.kysely
      .selectFrom("device_list_changes")
      .select(["user_id", "for_user_id"])
      .distinct()
      .where("stream_id", ">", after)
      .where("stream_id", "<=", upTo)
      .execute();
    return rows.map((r) => ({ userId: r.user_id, forUserId: r.for_user_id }));
  }

  /** Which of `candidates` are joined to at least one room `userId` is joined to. */
  async sharingARoomWith(userId: string, candidates: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < candidates.length; i += 500) {
      const rows = await this.db.kysely
        .selectFrom("room_memberships as mine")
        .innerJoin("room_memberships as theirs", "theirs.room_nid", "mine.room_nid")
        .select("theirs.user_id")
        .distinct()
        .where("mine.user_id", "=", userId)
        .where("mine.membership", "=", "join")
        .where("theirs.membership", "=", "join")
        .where("theirs.user_id", "in", candidates.slice(i, i + 500))
        .execute();
      for (const row of rows) out.add(row.user_id);
    }
    return out;
  }

  /**
   * Current memberships whose event is in (after, upTo] of the events stream: in the given rooms, or
   * in any room when `roomNids` is "all".
   */
  async membershipChangesBetween(roomNids: readonly number[] | "all", after: number, upTo: number): Promise<MembershipChange[]> {
    if ((roomNids !== "all" && roomNids.length === 0) || after >= upTo) return [];
    let query = this.db.kysely
      .selectFrom("room_memberships")
      .select(["room_nid", "user_id", "membership"])
      .where("stream_ordering", ">", after)
      .where("stream_ordering", "<=", upTo);
    if (roomNids !== "all") query = query.where("room_nid", "in", roomNids);
    const rows = await query.execute();
    return rows.map((r) => ({ roomNid: Number(r.room_nid), userId: r.user_id, membership: r.membership }));
  }

  /** Users joined to the given rooms. */
  async joinedMembers(roomNids: readonly number[]): Promise<string[]> {
    if (roomNids.length === 0) return [];
    const rows = await this.db.kysely.selectFrom("room_memberships").select("user_id").distinct().where("room_nid", "in", roomNids).where("membership", "=", "join").execute();
    return rows.map((r) => r.user_id);
  }

  /** Other servers with members joined to a room `userId` is joined to (who must hear of the user's device changes). */
  async remoteServersSharingWith(executor: Executor, userId: string): Promise<string[]> {
    const rows = await executor
      .selectFrom("room_memberships as mine")
      .innerJoin("room_memberships as theirs", "theirs.room_nid", "mine.room_nid")
      .select("theirs.user_id")
      .distinct()
      .where("mine.user_id", "=", userId)
      .where("mine.membership", "=", "join")
      .where("theirs.membership", "=", "join")
      .where("theirs.is_local", "=", 0)
      .execute();
    return [...new Set(rows.map((r) => r.user_id.slice(r.user_id.indexOf(":") + 1)))];
  }

  /** Rooms a user is joined to (whose members hear of the user's device changes). */
  async joinedRoomIds(userId: string, executor: Executor = this.db.kysely): Promise<string[]> {
    const rows = await executor
      .selectFrom("room_memberships")
      .innerJoin("rooms", "rooms.room_nid", "room_memberships.room_nid")
      .select("rooms.room_id")
      .where("room_memberships.user_id", "=", userId)
      .where("room_memberships.membership", "=", "join")
      .execute();
    return rows.map((r) => r.room_id);
  }
}
