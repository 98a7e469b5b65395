/** Rooms, their aliases and directory visibility, and membership queries. */
import type { Db, Executor, Tx } from "./db.js";

export interface RoomRecord {
  roomNid: number;
  roomId: string;
  roomVersion: string;
  createdTs: number;
  visibility: "public" | "private";
  partialState: boolean;
}

export interface MembershipRecord {
  roomNid: number;
  roomId: string;
  userId: string;
  membership: string;
  eventNid: number;
  streamOrdering: number;
  forgotten: boolean;
}

export class RoomStore {
  private readonly byId = new Map<string, RoomRecord>();
  private readonly byNid = new Map<number, RoomRecord>();
  private readonly flagListeners: ((userId: string) => void)[] = [];

  constructor(private readonly db: Db) {}

  /** Called after a membership's flags (forgotten) changed outside the event pipeline (caches follow). */
  onMembershipFlagsChanged(listener: (userId: string) => void): void {
    this.flagListeners.push(listener);
  }

  async insertRoom(executor: Executor, roomId: string, roomVersion: string, now: number): Promise<number> {
    const row = await executor
      .insertInto("rooms")
      .values({ room_id: roomId, room_version: roomVersion, created_ts: now, visibility: "private", partial_state: 0 })
      .returning("room_nid")
      .executeTakeFirstOrThrow();
    return Number(row.room_nid);
  }

  async get(roomId: string, executor: Executor = this.db.kysely): Promise<RoomRecord | undefined> {
    const cached = this.byId.get(roomId);
    if (cached) return cached;
    const row = await executor.selectFrom("rooms").selectAll().where("room_id", "=", roomId).executeTakeFirst();
    if (!row) return undefined;
    const record = this.toRecord(row);
    if (executor === this.db.kysely) this.remember(record);
    return record;
  }

  async getByNid(roomNid: number): Promise<RoomRecord | undefined> {
    const cached = this.byNid.get(roomNid);
    if (cached) return cached;
    const row = await this.db.kysely.selectFrom("rooms").selectAll().where("room_nid", "=", roomNid).executeTakeFirst();
    if (!row) return undefined;
    const record = this.toRecord(row);
    this.remember(record);
    return record;
  }

  private toRecord(row: { room_nid: number; room_id: string; room_version: string; created_ts: number; visibility: string; partial_state: number }): RoomRecord {
    return {
      roomNid: Number(row.room_nid),
      roomId: row.room_id,
      roomVersion: row.room_version,
      createdTs: Number(row.created_ts),
      visibility: row.visibility === "public" ? "public" : "private",
      partialState: !!row.partial_state,
    };
  }

  private remember(record: RoomRecord): void {
    if (this.byId.size > 50_000) {
      this.byId.clear();
      this.byNid.clear();
    }
    this.byId.set(record.roomId, record);
    this.byNid.set(record.roomNid, record);
  }

  async setVisibility(roomId: string, visibility: "public" | "private"): Promise<void> {
    await this.db.kysely.updateTable("rooms").set({ visibility }).where("room_id", "=", roomId).execute();
    const cached = this.byId.get(roomId);
    if (cached) this.remember({ ...cached, visibility });
  }

  /** Marks a room as joined with partial state, or as complete; cached records follow once `tx` commits. */
  async setPartialState(tx: Tx, roomNid: number, partial: boolean): Promise<void> {
    await tx.db.updateTable("rooms").set({ partial_state: partial ? 1 : 0 }).where("room_nid", "=", roomNid).execute();
    tx.onCommit(() => {
      const cached = this.byNid.get(roomNid);
      if (cached) this.remember({ ...cached, partialState: partial });
    });
  }

  async publicRoomIds(): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom("rooms").select("room_id").where("visibility", "=", "public").execute();
    return rows.map((r) => r.room_id);
  }

  /** The rooms a user has a membership in (any membership), for sync. */
  async membershipsOf(userId: string, executor: Executor = this.db.kysely): Promise<MembershipRecord[]> {
    const rows = await executor
      .selectFrom("room_memberships")
      .innerJoin("rooms", "rooms.room_nid", "room_memberships.room_nid")
      .select([
        "room_memberships.room_nid",
        "rooms.room_id",
        "room_memberships.user_id",
        "room_memberships.membership",
        "room_memberships.event_nid",
        "room_memberships.stream_ordering",
        "room_memberships.forgotten",
      ])
      .where("room_memberships.user_id", "=", userId)
      .execute();
    return rows.map((r) => ({
      roomNid: Number(r.room_nid),
      roomId: r.room_id,
      userId: r.user_id,
      membership: r.membership,
      eventNid: Number(r.event_nid),
      streamOrdering: Number(r.stream_ordering),
      forgotten: !!r.forgotten,
    }));
  }

  async membership(roomNid: number, userId: string, executor: Executor = this.db.kysely): Promise<string | undefined> {
    const row = await executor
      .selectFrom("room_memberships")
      .select("membership")
      .where("room_nid", "=", roomNid)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row?.membership;
  }

  /** Users with a given membership in a room. */
  async members(roomNid: number, membership = "join", options: { localOnly?: boolean } = {}): Promise<string[]> {
    let query = this.db.kysely.selectFrom("room_memberships").select("user_id").where("room_nid", "=", roomNid).where("membership", "=", membership);
    if (options.localOnly) query = query.where("is_local", "=", 1);
    return (await query.execute()).map((r) => r.user_id);
  }

  async setForgotten(roomNid: number, userId: string): Promise<void> {
    await this.db.kysely.updateTable("room_memberships").set({ forgotten: 1 }).where("room_nid", "=", roomNid).where("user_id", "=", userId).execute();
    for (const listener of this.flagListeners) listener(userId);
  }

  /**
   * Moves the stream position of the room's local members' memberships to `streamOrdering`, so that
   * their next incremental /sync sends the room again in full (as newly joined): a room whose state
   * became complete (partial-state joins). Returns the users; membership caches follow on commit.
   */
  async restampLocalMembers(tx: Tx, roomNid: number, streamOrdering: number): Promise<string[]> {
    const rows = await tx.db.selectFrom("room_memberships").select("user_id").where("room_nid", "=", roomNid).where("is_local", "=", 1).where("membership", "=", "join").execute();
    if (rows.length === 0) return [];
    await tx.db.updateTable("room_memberships").set({ stream_ordering: streamOrdering }).where("room_nid", "=", roomNid).where("is_local", "=", 1).where("membership", "=", "join").execute();
    const users = rows.map((r) => r.user_id);
    tx.onCommit(() => {
      for (const userId of users) for (const listener of this.flagListeners) listener(userId);
    });
    return users;
  }

  /** Rooms both users are joined to. */
  async sharedRooms(userA: string, userB: string): Promise<string[]> {
    return sharedRooms(this.db, userA, userB);
  }

  async getAlias(alias: string): Promise<{ roomId: string; creator: string } | undefined> {
    const row = await this.db.kysely.selectFrom("room_aliases").select(["room_id", "creator"]).where("alias", "=", alias).executeTakeFirst();
    return row ? { roomId: row.room_id, creator: row.creator } : undefined;
  }

  async createAlias(executor: Executor, alias: string, roomId: string, creator: string, now: number): Promise<boolean> {
    const result = await executor
      .insertInto("room_aliases")
      .values({ alias, room_id: roomId, creator, created_ts: now })
      .onConflict((oc) => oc.column("alias").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteAlias(executor: Executor, alias: string): Promise<boolean> {
    const result = await executor.deleteFrom("room_aliases").where("alias", "=", alias).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async aliasesOf(roomId: string): Promise<string[]> {
    const rows = await this.db.kysely.selectFrom("room_aliases").select("alias").where("room_id", "=", roomId).orderBy("alias").execute();
    return rows.map((r) => r.alias);
  }

  async moveAliases(executor: Executor, fromRoomId: string, toRoomId: string): Promise<string[]> {
    const rows = await executor.updateTable("room_aliases").set({ room_id: toRoomId }).where("room_id", "=", fromRoomId).returning("alias").execute();
    return rows.map((r) => r.alias);
  }

  /** Joined and invited member counts, and up to `limit` other members as heroes (oldest first). */
  async summary(roomNid: number, excludeUserId: string, limit = 5): Promise<{ joined: number; invited: number; heroes: string[] }> {
    const counts = await this.db.kysely
      .selectFrom("room_memberships")
      .select(["membership", (eb) => eb.fn.countAll<number>().as("n")])
      .where("room_nid", "=", roomNid)
      .where("membership", "in", ["join", "invite"])
      .groupBy("membership")
      .execute();
    const heroes = await this.db.kysely
      .selectFrom("room_memberships")
      .select("user_id")
      .where("room_nid", "=", roomNid)
      .where("user_id", "!=", excludeUserId)
      .where("membership", "in", ["join", "invite"])
      .orderBy("stream_ordering")
      .limit(limit)
      .execute();
    let heroIds = heroes.map((r) => r.user_id);
    if (heroIds.length === 0) {
      // Everyone else left: name the room after those who were there (spec "Calculating the display name").
      const former = await this.db.kysely
        .selectFrom("room_memberships")
        .select("user_id")
        .where("room_nid", "=", roomNid)
        .where("user_id", "!=", excludeUserId)
        .orderBy("stream_ordering")
        .limit(limit)
        .execute();
      heroIds = former.map((r) => r.user_id);
    }
    const count = (m: string): number => Number(counts.find((c) => c.membership === m)?.n ?? 0);
    return { joined: count("join"), invited: count("invite"), heroes: heroIds };
  }

  /** State-delta keys changed in a room within (after, upTo). */
  async stateKeysChangedBetween(roomNid: number, after: number, before: number): Promise<number[]> {
    const rows = await this.db.kysely
      .selectFrom("state_deltas")
      .select("state_key_nid")
      .distinct()
      .where("room_nid", "=", roomNid)
      .where("stream_ordering", ">", after)
      .where("stream_ordering", "<", before)
      .execute();
    return rows.map((r) => Number(r.state_key_nid));
  }
}

/** Rooms both users are joined to, by room ID: after `afterRoomId` and at most `limit` when given. */
export async function sharedRooms(db: Db, userA: string, userB: string, page: { afterRoomId?: string | undefined; limit?: number } = {}): Promise<string[]> {
  let query = db.kysely
    .selectFrom("room_memberships as a")
    .innerJoin("room_memberships as b", "a.room_nid", "b.room_nid")
    .innerJoin("rooms", "rooms.room_nid", "a.room_nid")
    .select("rooms.room_id")
    .where("a.user_id", "=", userA)
    .where("a.membership", "=", "join")
    .where("b.user_id", "=", userB)
    .where("b.membership", "=", "join")
    .orderBy("rooms.room_id");
  if (page.afterRoomId !== undefined) query = query.where("rooms.room_id", ">", page.afterRoomId);
  if (page.limit !== undefined) query = query.limit(page.limit);
  return (await query.execute()).map((r) => r.room_id);
}
