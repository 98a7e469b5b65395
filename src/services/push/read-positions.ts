/**
 * How far a user has read in each room and thread (client-server API "Marking notifications as
 * read", "Threaded read receipts"): the furthest of their m.read and m.read.private receipts, where
 * an unthreaded receipt reads the whole room up to its event and a threaded one (a thread root or
 * `main`) only its thread; and, since sending an event updates the read position too, their own
 * latest event in each thread.
 */
import type { PushActionStore } from "../../storage/push-action-store.js";

/** An unthreaded receipt's thread ID in the receipts table. */
const UNTHREADED = "";

interface RoomPositions {
  unthreaded: number;
  threads: Map<string, number>;
}

export class ReadPositions {
  private constructor(private readonly rooms: ReadonlyMap<number, RoomPositions>) {}

  /** The user's positions in every room. */
  static async load(store: PushActionStore, userId: string): Promise<ReadPositions> {
    const [receipts, sent] = await Promise.all([store.receiptPositions(userId), store.sentPositions(userId)]);
    const rooms = new Map<number, RoomPositions>();
    const roomOf = (roomNid: number): RoomPositions => {
      let room = rooms.get(roomNid);
      if (!room) rooms.set(roomNid, (room = { unthreaded: 0, threads: new Map() }));
      return room;
    };
    const all = [...receipts, ...sent.map((s) => ({ ...s, roomId: "" }))];
    for (const { roomNid, threadId, streamOrdering } of all) {
      const room = roomOf(roomNid);
      if (threadId === UNTHREADED) room.unthreaded = Math.max(room.unthreaded, streamOrdering);
      else room.threads.set(threadId, Math.max(room.threads.get(threadId) ?? 0, streamOrdering));
    }
    return new ReadPositions(rooms);
  }

  /** The position up to which everything in the room is read. */
  unthreaded(roomNid: number): number {
    return this.rooms.get(roomNid)?.unthreaded ?? 0;
  }

  /** The position up to which a thread (a root's ID or `main`) is read. */
  readUpTo(roomNid: number, threadId: string): number {
    const room = this.rooms.get(roomNid);
    return Math.max(room?.unthreaded ?? 0, room?.threads.get(threadId) ?? 0);
  }

  /** Threads read further than the whole room, with their positions. */
  threadsAhead(roomNid: number): Map<string, number> {
    const room = this.rooms.get(roomNid);
    const out = new Map<string, number>();
    for (const [threadId, position] of room?.threads ?? []) if (position > (room?.unthreaded ?? 0)) out.set(threadId, position);
    return out;
  }
}
