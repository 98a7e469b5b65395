/**
 * Unread notification counts (client-server API "Receiving notifications"): the notifications a user
 * has in a room after their read position, per thread, each thread counted from its own position.
 */
import type { PushActionStore, ThreadCount } from "../../storage/push-action-store.js";
import type { ReadPositions } from "./read-positions.js";

export interface UnreadCount {
  notifications: number;
  highlights: number;
}

/**
 * Counts per thread (`main` for the main timeline) of one room, up to stream position `upTo`, from
 * `counted` (every thread counted from the room-wide position, by a query for many rooms): threads
 * read further are recounted.
 */
export async function unreadByThread(
  store: PushActionStore,
  userId: string,
  roomNid: number,
  positions: ReadPositions,
  upTo: number,
  counted: readonly ThreadCount[],
): Promise<Map<string, UnreadCount>> {
  const byThread = new Map<string, ThreadCount>(counted.map((r) => [r.threadId, r]));
  for (const [threadId, position] of positions.threadsAhead(roomNid)) {
    if (byThread.has(threadId)) byThread.set(threadId, await store.countInThread(userId, roomNid, threadId, position, upTo));
  }
  return nonZeroCounts(byThread.values());
}

/** The threads that have notifications, by thread. */
export function nonZeroCounts(counts: Iterable<ThreadCount>): Map<string, UnreadCount> {
  const out = new Map<string, UnreadCount>();
  for (const count of counts) if (count.notifications > 0) out.set(count.threadId, { notifications: count.notifications, highlights: count.highlights });
  return out;
}
