/**
 * The badge count sent with every push (`counts.unread`), computed as /sync computes unread counts
 * (read-positions.ts, unread-counts.ts) so that the phone's badge and the client's room list agree.
 * As Synapse's default (push.group_unread_count_by_room): one per joined room with unread
 * notifications, plus one per pending invite; or, grouping off, the sum of the rooms' notification
 * counts (what /sync reports as notification_count) plus the invites.
 */
import type { PushActionStore } from "../../storage/push-action-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import { ReadPositions } from "./read-positions.js";
import { unreadByThread } from "./unread-counts.js";

export interface UnreadState {
  /** How far the user has read, to skip notifications read before they were pushed. */
  positions: ReadPositions;
  badge: number;
}

export class BadgeCounter {
  constructor(
    private readonly actions: PushActionStore,
    private readonly rooms: RoomStore,
    private readonly groupByRoom: boolean,
  ) {}

  /** The user's read positions and badge, counting notifications up to stream position `upTo`. */
  async load(userId: string, upTo: number): Promise<UnreadState> {
    const [positions, memberships] = await Promise.all([ReadPositions.load(this.actions, userId), this.rooms.membershipsOf(userId)]);
    const joined = memberships.filter((m) => m.membership === "join");
    let badge = memberships.filter((m) => m.membership === "invite").length;
    const counted = await this.actions.countsByThreadInRooms(
      userId,
      joined.map((m) => ({ roomNid: m.roomNid, after: positions.unthreaded(m.roomNid) })),
      upTo,
    );
    for (const { roomNid } of joined) {
      const rows = counted.get(roomNid);
      if (!rows) continue;
      let notifications = 0;
      for (const count of (await unreadByThread(this.actions, userId, roomNid, positions, upTo, rows)).values()) notifications += count.notifications;
      if (notifications > 0) badge += this.groupByRoom ? 1 : notifications;
    }
    return { positions, badge };
  }
}
