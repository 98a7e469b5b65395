/**
 * Unread counts of a user's room, counted again only for what came since the last count. Every
 * long-poll one message wakes asks for its room's counts; counted from the read position each time,
 * the work grows with what the member has not read (hundreds of entries in a busy room nobody reads).
 * Here a room's count is kept with the position it was counted up to and the read positions it was
 * counted after; the next count reads only the entries after that position and adds them, as long as
 * the storage answer shows the read positions unchanged and no redaction in between (a redaction
 * removes the entries of the event it redacts, which may have been counted). Otherwise, or when a count
 * up to an earlier position is asked for (a slower device), the room is counted in full again.
 *
 * Where the log of recent push actions (recent-push-actions.ts) covers what came since, and the user's
 * read receipts have not moved since the kept count read them, the entries are taken from it instead:
 * a woken long-poll then asks storage nothing.
 *
 * Nothing else removes push actions (storage/push-action-store.ts deletes only for redactions; a move
 * from staging changes no answer, every reader reading both tables), and
 * the entries up to a counted position never change afterwards: positions handed to /sync are complete
 * (every event up to them is committed), and events stored later, backfilled history included, are at
 * other positions. Only this process's answers are kept, so nothing needs telling when another process
 * writes: every count checks against storage.
 */
import { samePositions, type PushActionStore, type ReadPosition, type RoomCountsSince, type RoomCountWanted, type ThreadCount } from "../../storage/push-action-store.js";
import { ReadBatcher } from "../read-batcher.js";
import type { RecentPushActions } from "./recent-push-actions.js";

interface Counted {
  upTo: number;
  positions: readonly ReadPosition[];
  /** The user's read version (RecentPushActions.readVersion) from before the positions were read. */
  readVersion: number;
  counts: readonly ThreadCount[];
}

/** Rooms' counts kept (a user in a room each; the least recently counted go first). */
const DEFAULT_CAPACITY = 20_000;

export class UnreadCountCache {
  private readonly counted = new Map<string, Counted>();
  private readonly reads: ReadBatcher<RoomCountWanted, RoomCountsSince>;

  /** `shareReads`: the members one message wakes count in one statement (read-batcher.ts). */
  constructor(
    store: PushActionStore,
    shareReads: boolean,
    private readonly recent: RecentPushActions | undefined,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {
    this.reads = new ReadBatcher((wanted) => store.unreadCountsSince(wanted), shareReads);
  }

  /** The user's notifications in the room after their read positions, up to `upTo`, per thread. */
  async counts(userId: string, roomNid: number, upTo: number): Promise<readonly ThreadCount[]> {
    const key = `${roomNid} ${userId}`;
    const before = this.counted.get(key);
    const base = before !== undefined && before.upTo <= upTo ? before : undefined;
    const readVersion = this.recent?.readVersion(userId) ?? 0;
    if (base !== undefined && this.recent !== undefined && base.readVersion === readVersion) {
      const more = this.recent.since(roomNid, userId, base.upTo, upTo, base.positions);
      if (more !== undefined) {
        const counts = added(base.counts, more);
        this.keep(key, { ...base, upTo, counts });
        return counts;
      }
    }
    let answer = await this.reads.load({ userId, roomNid, upTo, countedTo: base?.upTo ?? 0 });
    let counts: readonly ThreadCount[];
    if (base === undefined) counts = answer.counts;
    else if (!answer.redacted && samePositions(answer.positions, base.positions)) counts = added(base.counts, answer.counts);
    else {
      answer = await this.reads.load({ userId, roomNid, upTo, countedTo: 0 });
      counts = answer.counts;
    }
    this.keep(key, { upTo, positions: answer.positions, readVersion, counts });
    return counts;
  }

  private keep(key: string, entry: Counted): void {
    const current = this.counted.get(key);
    // A count up to an earlier position (answered late) does not replace a later one.
    if (current !== undefined && current.upTo > entry.upTo) return;
    this.counted.delete(key);
    this.counted.set(key, entry);
    if (this.counted.size > this.capacity) {
      const oldest = this.counted.keys().next();
      if (!oldest.done) this.counted.delete(oldest.value);
    }
  }
}

/** Counts per thread: those of `earlier` with those of `more` added. */
function added(earlier: readonly ThreadCount[], more: readonly ThreadCount[]): readonly ThreadCount[] {
  if (more.length === 0) return earlier;
  const byThread = new Map(earlier.map((c) => [c.threadId, { ...c }]));
  for (const c of more) {
    const sum = byThread.get(c.threadId);
    if (sum === undefined) byThread.set(c.threadId, { ...c });
    else {
      sum.notifications += c.notifications;
      sum.highlights += c.highlights;
    }
  }
  return [...byThread.values()];
}
