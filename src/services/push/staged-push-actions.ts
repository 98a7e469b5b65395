/**
 * Moves staged push actions into event_push_actions (storage/migrations/035-push-actions-staging.ts)
 * once a second, in a transaction of its own. A move takes everything staged up to the event stream's
 * complete position: whatever a message wrote since the last move reaches each member's range of the
 * index together. Readers read both tables, so when a move runs changes nothing they see; a move that
 * fails leaves the entries staged for the next one. (Backfilled history is stored below every live
 * position without moving it: its entries go with the next move after a new event.)
 */
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import type { PushActionStore } from "../../storage/push-action-store.js";

const DEFAULT_INTERVAL_MS = 1_000;

export class StagedPushActions {
  private readonly timer: NodeJS.Timeout;
  /** The position the last move reached; -Infinity before the first (entries may be left from before a restart). */
  private movedUpTo = -Infinity;
  private moving: Promise<void> | undefined;
  private closed = false;
  /** Entries moved since start (tests and logs look). */
  moved = 0;

  constructor(
    private readonly db: Db,
    private readonly store: PushActionStore,
    /** The event stream's complete position (every event up to it committed). */
    private readonly position: () => number,
    private readonly log: Logger,
    intervalMs = DEFAULT_INTERVAL_MS,
  ) {
    this.timer = setInterval(() => void this.move(), intervalMs);
    // Moving must not keep a stopping process alive.
    this.timer.unref();
  }

  /** Moves what is staged up to the current position, unless nothing new was written since the last move. */
  move(): Promise<void> {
    if (this.moving) return this.moving;
    const upTo = this.position();
    if (this.closed || upTo <= this.movedUpTo) return Promise.resolve();
    this.moving = this.db
      .transaction((tx) => this.store.moveStaged(tx.db, upTo))
      .then(
        (count) => {
          this.movedUpTo = upTo;
          this.moved += count;
        },
        (error: unknown) => this.log.warn({ err: error }, "moving staged push actions failed; they stay staged"),
      )
      .finally(() => {
        this.moving = undefined;
      });
    return this.moving;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.moving;
  }
}
