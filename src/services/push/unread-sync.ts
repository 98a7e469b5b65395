/**
 * Unread notification counts in /sync: `unread_notifications` for every joined room in the response
 * and, when the timeline filter sets `unread_thread_notifications`, the main timeline's counts there
 * and each thread's in `unread_thread_notifications` (sync.yaml). A room whose counts may have changed
 * because the user's own read receipt moved is sent even without new events.
 */
import type { PushActionStore } from "../../storage/push-action-store.js";
import type { JoinedRoomSync, SyncContext, SyncContributor } from "../sync/sync-types.js";
import { MAIN_THREAD } from "./push-evaluation-hook.js";
import { ReadPositions } from "./read-positions.js";
import { nonZeroCounts, unreadByThreadInRooms, type UnreadCount } from "./unread-counts.js";
import { UnreadCountCache } from "./unread-count-cache.js";
import type { RecentPushActions } from "./recent-push-actions.js";

interface PerSync {
  /**
   * For a sync that sends every room: the counts of every joined room, by thread, read in a few
   * queries. Otherwise (usually a few rooms) each room is counted on its own.
   */
  every: Map<number, Map<string, UnreadCount>> | undefined;
  roomNids: Map<string, number>;
}

const toClient = (count: UnreadCount | undefined) => ({ notification_count: count?.notifications ?? 0, highlight_count: count?.highlights ?? 0 });

/**
 * `shareReads`: the members one message wakes count that room in one statement (read-batcher.ts);
 * `recent`: what they add since their last count, where it can tell (recent-push-actions.ts).
 */
export function unreadSyncContributor(store: PushActionStore, shareReads: boolean, recent?: RecentPushActions): SyncContributor {
  const roomCounts = new UnreadCountCache(store, shareReads, recent);
  // Room numbers (and, for a sync of every room, all read positions) once per sync computation.
  const loaded = new WeakMap<SyncContext, Promise<PerSync>>();
  const perSync = (context: SyncContext): Promise<PerSync> => {
    let pending = loaded.get(context);
    if (!pending) {
      const userId = context.requester.userId;
      const everyRoom = context.since === undefined || context.fullState;
      // The sync computation already holds the memberships: no need to read them again.
      const roomNids = new Map(context.memberships.map((m) => [m.roomId, m.roomNid]));
      pending = (async (): Promise<PerSync> => {
        if (!everyRoom) return { every: undefined, roomNids };
        const positions = await ReadPositions.load(store, userId);
        const joined = context.memberships.filter((m) => m.membership === "join").map((m) => ({ roomNid: m.roomNid, after: positions.unthreaded(m.roomNid) }));
        const counted = await store.countsByThreadInRooms(userId, joined, context.now.events);
        const every = await unreadByThreadInRooms(store, userId, positions, context.now.events, counted);
        return { every, roomNids };
      })();
      loaded.set(context, pending);
    }
    return pending;
  };
  return {
    async roomsWithChanges(context: SyncContext) {
      if (!context.since) return [];
      // No receipt was written between the token and now: no need to ask (most woken long-polls).
      if (context.since.receipts === context.now.receipts) return [];
      return store.roomsWithNewReceipts(context.requester.userId, context.since.receipts, context.now.receipts);
    },
    async joinedRoom(context: SyncContext, roomId: string, room: JoinedRoomSync) {
      const { every, roomNids } = await perSync(context);
      const roomNid = roomNids.get(roomId);
      if (roomNid === undefined) return;
      const userId = context.requester.userId;
      const threads = every ? (every.get(roomNid) ?? new Map<string, UnreadCount>()) : nonZeroCounts(await roomCounts.counts(userId, roomNid, context.now.events));
      if (!context.filter.room?.timeline?.unread_thread_notifications) {
        const total: UnreadCount = { notifications: 0, highlights: 0 };
        for (const count of threads.values()) {
          total.notifications += count.notifications;
          total.highlights += count.highlights;
        }
        room.unread_notifications = toClient(total);
        return;
      }
      room.unread_notifications = toClient(threads.get(MAIN_THREAD));
      const perThread: NonNullable<JoinedRoomSync["unread_thread_notifications"]> = {};
      for (const [threadId, count] of threads) if (threadId !== MAIN_THREAD) perThread[threadId] = toClient(count);
      if (Object.keys(perThread).length > 0) room.unread_thread_notifications = perThread;
    },
  };
}
