/**
 * The push actions of recent events, by room, as the persist hook stored them: what a long-poll woken
 * by a message needs to add to the unread counts it kept (unread-count-cache.ts) without asking the
 * database. One message in a room of a hundred members wakes a hundred long-polls, and each asked
 * storage for the few entries after its last count; here they read them from the event just stored.
 *
 * The log is complete by construction: event_push_actions and push_sent_positions are written by the
 * push hook alone (push-evaluation-hook.ts), which records every event it ran for once its transaction
 * commits, in the same synchronous step that makes the event's position visible to /sync. So for a
 * room, every event after `coveredAfter` that the hook ran for is here, and a range (after, upTo] with
 * `after >= coveredAfter` is answered from the log alone. Events from before this process started
 * (and backfilled history, stored below every live position) are never recorded; a room dropped to
 * bound memory raises the coverage of any log started for it later.
 *
 * The log answers only where adding is right, as the storage answer does: not across a redaction (it
 * may have removed entries counted before), nor across the user's own event (it moves their read
 * position) or a read receipt of theirs (`readMoved`); unread-count-cache.ts then counts from storage.
 */
import type { ReadPosition, ThreadCount } from "../../storage/push-action-store.js";

export interface LoggedEvent {
  position: number;
  sender: string;
  /** The thread its notifications count in. */
  threadId: string;
  /** A redaction may have removed the push actions of the event it redacts. */
  redaction: boolean;
  /** Users it notifies, and whether it highlights for them. */
  notified: Map<string, boolean>;
}

interface RoomLog {
  coveredAfter: number;
  /** Ascending by position. */
  events: LoggedEvent[];
}

/** Events and notified users held in all (each counts one): ~10 MiB at most. */
const DEFAULT_BUDGET = 200_000;
/** Events kept per room: a long-poll is back within seconds, so only the newest matter. */
const EVENTS_PER_ROOM = 256;

export class RecentPushActions {
  /** Least recently written first. */
  private readonly rooms = new Map<number, RoomLog>();
  private held = 0;
  /** The highest position of any room dropped: a log started later covers only what comes after it. */
  private droppedUpTo: number;
  /** Per local user, moves each time one of their read receipts moves. */
  private readonly readVersions = new Map<string, number>();
  /** How many ranges the log answered (tests look). */
  answered = 0;

  /** `startedAfter`: the event stream position when the push hook was installed (everything up to it came before). */
  constructor(
    startedAfter: number,
    private readonly budget = DEFAULT_BUDGET,
  ) {
    this.droppedUpTo = startedAfter;
  }

  /** Called once the event's transaction committed. */
  record(roomNid: number, event: LoggedEvent): void {
    let room = this.rooms.get(roomNid);
    if (room === undefined) room = { coveredAfter: this.droppedUpTo, events: [] };
    else this.rooms.delete(roomNid); // re-inserted last: most recently written
    this.rooms.set(roomNid, room);
    // At or below the coverage: history from before this log (backfill) that no range here includes.
    if (event.position <= room.coveredAfter) return;
    const events = room.events;
    let at = events.length;
    while (at > 0 && (events[at - 1] as LoggedEvent).position > event.position) at--;
    events.splice(at, 0, event);
    this.held += 1 + event.notified.size;
    if (events.length > EVENTS_PER_ROOM) this.dropOldest(room);
    while (this.held > this.budget) {
      // The least recently written rooms go first; a room too large alone loses its oldest events.
      if (this.rooms.size > 1) this.dropRoom();
      else if (events.length > 0) this.dropOldest(room);
      else break;
    }
  }

  /** A local user's read receipt moved (after its commit). */
  readMoved(userId: string): void {
    this.readVersions.set(userId, (this.readVersions.get(userId) ?? 0) + 1);
  }

  /** Changes whenever the user's read receipts move: a count kept with an older one needs storage. */
  readVersion(userId: string): number {
    return this.readVersions.get(userId) ?? 0;
  }

  /**
   * What (after, upTo] adds to the user's counts in the room, per thread with entries, counted after
   * `read` as storage would; undefined where the log cannot tell (not covered, a redaction, or an event
   * of the user's own in the range).
   */
  since(roomNid: number, userId: string, after: number, upTo: number, read: readonly ReadPosition[]): ThreadCount[] | undefined {
    const room = this.rooms.get(roomNid);
    if (after < (room?.coveredAfter ?? this.droppedUpTo)) return undefined;
    if (room === undefined || upTo <= after) {
      this.answered++;
      return [];
    }
    let unthreaded = 0;
    const perThread = new Map<string, number>();
    for (const { threadId, pos } of read) {
      if (threadId === "") unthreaded = Math.max(unthreaded, pos);
      else perThread.set(threadId, Math.max(perThread.get(threadId) ?? 0, pos));
    }
    const counts = new Map<string, ThreadCount>();
    const events = room.events;
    let i = events.length;
    while (i > 0 && (events[i - 1] as LoggedEvent).position > after) i--;
    for (; i < events.length; i++) {
      const event = events[i] as LoggedEvent;
      if (event.position > upTo) break;
      if (event.redaction || event.sender === userId) return undefined;
      const highlight = event.notified.get(userId);
      if (highlight === undefined) continue;
      if (event.position <= unthreaded || event.position <= (perThread.get(event.threadId) ?? 0)) continue;
      let count = counts.get(event.threadId);
      if (count === undefined) counts.set(event.threadId, (count = { threadId: event.threadId, notifications: 0, highlights: 0 }));
      count.notifications++;
      if (highlight) count.highlights++;
    }
    this.answered++;
    return [...counts.values()];
  }

  private dropOldest(room: RoomLog): void {
    const oldest = room.events.shift() as LoggedEvent;
    room.coveredAfter = Math.max(room.coveredAfter, oldest.position);
    this.held -= 1 + oldest.notified.size;
  }

  private dropRoom(): void {
    const [roomNid, room] = this.rooms.entries().next().value as [number, RoomLog];
    this.rooms.delete(roomNid);
    for (const event of room.events) {
      this.held -= 1 + event.notified.size;
      this.droppedUpTo = Math.max(this.droppedUpTo, event.position);
    }
  }
}
