/**
 * The badge count sent with every push (`counts.unread`), computed as /sync computes unread counts
 * (read-positions.ts, unread-counts.ts) so that the phone's badge and the client's room list agree.
 * As Synapse's default (push.group_unread_count_by_room): one per joined room with unread
 * notifications, plus one per pending invite; or, grouping off, the sum of the rooms' notification
 * counts (what /sync reports as notification_count) plus the invites.
 */
import type { PushActionStore } from "../../storage/push-action-store.js";
import type { PendingPush } from "../../storage/pusher-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Clock } from "../clock.js";
import { ReadPositions } from "./read-positions.js";
import { unreadByThreadInRooms } from "./unread-counts.js";

/** A user's unread state at stream position `upTo`. */
export interface UnreadSnapshot {
  positions: ReadPositions;
  joined: Set<number>;
  /** Unread notifications per joined room that has any. */
  rooms: Map<number, number>;
  invites: number;
  upTo: number;
}

export class BadgeCounter {
  constructor(
    private readonly actions: PushActionStore,
    private readonly rooms: RoomStore,
    readonly groupByRoom: boolean,
  ) {}

  /** The user's read positions and unread counts, counting notifications up to stream position `upTo`. */
  async load(userId: string, upTo: number): Promise<UnreadSnapshot> {
    const [positions, memberships] = await Promise.all([ReadPositions.load(this.actions, userId), this.rooms.membershipsOf(userId)]);
    const joined = new Set(memberships.filter((m) => m.membership === "join").map((m) => m.roomNid));
    const counted = await this.actions.countsByThreadInRooms(
      userId,
      [...joined].map((roomNid) => ({ roomNid, after: positions.unthreaded(roomNid) })),
      upTo,
    );
    const rooms = new Map<number, number>();
    for (const [roomNid, threads] of await unreadByThreadInRooms(this.actions, userId, positions, upTo, counted)) {
      let notifications = 0;
      for (const count of threads.values()) notifications += count.notifications;
      if (notifications > 0) rooms.set(roomNid, notifications);
    }
    return { positions, joined, rooms, invites: memberships.filter((m) => m.membership === "invite").length, upTo };
  }

  badge(snapshot: UnreadSnapshot): number {
    if (this.groupByRoom) return snapshot.invites + snapshot.rooms.size;
    let n = snapshot.invites;
    for (const count of snapshot.rooms.values()) n += count;
    return n;
  }
}

/**
 * One pusher's view of its user's unread state. A burst of messages pushes the same users many times a
 * second; instead of reading their state for each push, a snapshot serves for `reuseMs` and each push
 * after it is counted into it (a push is one more unread notification in its room). A push in a room
 * the snapshot does not know as joined, a read receipt (`reset`) or the snapshot's age reads afresh.
 * What the user reads or sends meanwhile shows at the latest `reuseMs` later (reading also sends a
 * badge update, from a fresh reading).
 */
export class UnreadTracker {
  private snapshot: UnreadSnapshot | undefined;
  private readAt = 0;

  constructor(
    private readonly counter: BadgeCounter,
    private readonly userId: string,
    private readonly clock: Clock,
    private readonly reuseMs: number,
  ) {}

  /** The badge with this push counted, or undefined when the user has read it already. */
  async onPush(push: PendingPush, upTo: number): Promise<number | undefined> {
    let snapshot = this.snapshot;
    const stale = !snapshot || this.clock.now() - this.readAt >= this.reuseMs || (push.streamOrdering > snapshot.upTo && !snapshot.joined.has(push.roomNid));
    if (stale || !snapshot) snapshot = await this.fresh(Math.max(upTo, push.streamOrdering));
    if (push.streamOrdering <= snapshot.positions.readUpTo(push.roomNid, push.threadId)) return undefined;
    if (push.streamOrdering > snapshot.upTo) {
      snapshot.rooms.set(push.roomNid, (snapshot.rooms.get(push.roomNid) ?? 0) + 1);
      snapshot.upTo = push.streamOrdering;
    }
    return this.counter.badge(snapshot);
  }

  /** The badge read afresh (after the user read something). */
  async current(upTo: number): Promise<number> {
    return this.counter.badge(await this.fresh(upTo));
  }

  private async fresh(upTo: number): Promise<UnreadSnapshot> {
    this.snapshot = await this.counter.load(this.userId, upTo);
    this.readAt = this.clock.now();
    return this.snapshot;
  }
}
