/**
 * Moves staged push actions into event_push_actions (storage/migrations/035-push-actions-staging.ts)
 * once a second, in transactions of their own. A move takes everything staged up to the event stream's
 * complete position: whatever a message wrote since the last move reaches each member's range of the
 * index together. Readers read both tables, so when a move runs changes nothing they see; a move that
 * fails leaves the entries staged for the next one. (Backfilled history is stored below every live
 * position without moving it: its entries go with the next move after a new event.)
 *
 * A busy second is moved in steps of about ENTRIES_PER_STEP entries, with the event loop free between
 * them, sized by how many entries are staged when the move begins and then by what each step moved.
 * On SQLite a step is a statement that runs to its end and holds the connection and the event loop
 * meanwhile: moved whole, a second of 50 clients writing into a room of 50 (80 000 entries) held both
 * for 117 ms at once, a pause every request in flight waited through.
 */
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import type { PushActionStore } from "../../storage/push-action-store.js";

const DEFAULT_INTERVAL_MS = 1_000;

/** About how many entries one step moves: ~10 ms of work on SQLite here (a step reads the staging table whole; an index by position to spare that cost more on every send than it saved). */
export const ENTRIES_PER_STEP = 5_000;

export class StagedPushActions {
  private readonly timer: NodeJS.Timeout;
  /** The position the last move reached; -Infinity before the first (entries may be left from before a restart). */
  private movedUpTo = -Infinity;
  /** Entries per event position: estimated from the staged count when a move begins, then as measured by its last step that moved any; sizes the next step. */
  private entriesPerPosition = 1;
  private moving: Promise<void> | undefined;
  private closed = false;
  /** Entries moved since start (tests and logs look). */
  moved = 0;
  /** Steps taken since start (tests look). */
  steps = 0;

  constructor(
    private readonly db: Db,
    private readonly store: PushActionStore,
    /** The event stream's complete position (every event up to it committed). */
    private readonly position: () => number,
    private readonly log: Logger,
    intervalMs = DEFAULT_INTERVAL_MS,
    private readonly entriesPerStep = ENTRIES_PER_STEP,
  ) {
    this.timer = setInterval(() => void this.move(), intervalMs);
    // Moving must not keep a stopping process alive.
    this.timer.unref();
  }

  /** Moves what is staged up to the current position, unless nothing new was written since the last move. */
  move(): Promise<void> {
    if (this.moving) return this.moving;
    this.moving = this.moveUpTo(this.position()).finally(() => {
      this.moving = undefined;
    });
    return this.moving;
  }

  private async moveUpTo(target: number): Promise<void> {
    if (this.closed || target <= this.movedUpTo) return;
    let staged: number;
    try {
      staged = await this.store.countStaged(this.db.kysely);
    } catch (error) {
      this.log.warn({ err: error }, "counting staged push actions failed; they stay staged");
      return;
    }
    // Nothing staged (messages nobody else is notified of: a room of one, a bot's own room): nothing
    // to move and no transaction to spend. Checked first because with steps sized by entries per
    // position, a stretch without entries would otherwise be walked one position per transaction.
    if (staged === 0) {
      this.movedUpTo = target;
      return;
    }
    // Until a step measures it, entries are taken as spread evenly over the positions to move.
    if (this.movedUpTo !== -Infinity) this.entriesPerPosition = staged / (target - this.movedUpTo);
    while (!this.closed && target > this.movedUpTo) {
      // The first step after a start takes whatever was left staged before it, whole.
      const from = this.movedUpTo;
      const positions = Math.max(1, Math.floor(this.entriesPerStep / this.entriesPerPosition));
      const upTo = from === -Infinity ? target : Math.min(target, from + positions);
      let count: number;
      try {
        count = await this.db.transaction((tx) => this.store.moveStaged(tx.db, upTo));
      } catch (error) {
        this.log.warn({ err: error }, "moving staged push actions failed; they stay staged");
        return;
      }
      this.movedUpTo = upTo;
      this.moved += count;
      this.steps++;
      if (count > 0 && from !== -Infinity) this.entriesPerPosition = count / (upTo - from);
      // Requests waiting meanwhile go first.
      if (upTo < target) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.moving;
  }
}
