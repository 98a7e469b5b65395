/**
 * Unread notification counts (client-server API "Receiving notifications"): the notifications a user
 * has in a room after their read position, per thread, each thread counted from its own position.
 */
import { threadCountKey, type PushActionStore, type ThreadCount } from "../../storage/push-action-store.js";
import type { ReadPositions } from "./read-positions.js";

export interface UnreadCount {
  notifications: number;
  highlights: number;
}

/**
 * Counts per thread (`main` for the main timeline) of the rooms in `counted`, up to stream position
 * `upTo` (every thread counted from its room's unthreaded position, by a query for many rooms):
 * threads read further are counted again from their own position, all of them in one read.
 */
export async function unreadByThreadInRooms(
  store: PushActionStore,
  userId: string,
  positions: ReadPositions,
  upTo: number,
  counted: ReadonlyMap<number, readonly ThreadCount[]>,
): Promise<Map<number, Map<string, UnreadCount>>> {
  const again: { roomNid: number; threadId: string; after: number }[] = [];
  for (const [roomNid, list] of counted) {
    for (const [threadId, position] of positions.threadsAhead(roomNid)) {
      if (list.some((c) => c.threadId === threadId)) again.push({ roomNid, threadId, after: position });
    }
  }
  const recounted = again.length > 0 ? await store.countsInThreads(userId, again, upTo) : new Map<string, ThreadCount>();
  const out = new Map<number, Map<string, UnreadCount>>();
  for (const [roomNid, list] of counted) out.set(roomNid, nonZeroCounts(list.map((c) => recounted.get(threadCountKey(roomNid, c.threadId)) ?? c)));
  return out;
}

/** The threads that have notifications, by thread. */
export function nonZeroCounts(counts: Iterable<ThreadCount>): Map<string, UnreadCount> {
  const out = new Map<string, UnreadCount>();
  for (const count of counts) if (count.notifications > 0) out.set(count.threadId, { notifications: count.notifications, highlights: count.highlights });
  return out;
}
