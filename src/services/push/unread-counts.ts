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

/** Counts per thread (`main` for the main timeline) of one room, up to stream position `upTo`. */
export async function unreadByThread(
  store: PushActionStore,
  userId: string,
  roomNid: number,
  positions: ReadPositions,
  upTo: number,
  counted?: readonly ThreadCount[],
): Promise<Map<string, UnreadCount>> {
  // One query counts every thread from the room-wide position (or `counted` has it already, from a
  // query for many rooms); threads read further are recounted.
  const rows = counted ?? (await store.countsByThread(userId, roomNid, positions.unthreaded(roomNid), upTo));
  const byThread = new Map<string, ThreadCount>(rows.map((r) => [r.threadId, r]));
  for (const [threadId, position] of positions.threadsAhead(roomNid)) {
    if (byThread.has(threadId)) byThread.set(threadId, await store.countInThread(userId, roomNid, threadId, position, upTo));
  }
  const out = new Map<string, UnreadCount>();
  for (const [threadId, count] of byThread) {
    if (count.notifications > 0) out.set(threadId, { notifications: count.notifications, highlights: count.highlights });
  }
  return out;
}
