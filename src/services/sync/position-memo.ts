/**
 * Results shared by the /sync computations at one events position: the long-polls one event wakes
 * all ask the same questions (which rooms changed between the same two positions, the same room's new
 * events), so the first asks storage and the others wait for its answer. Everything is dropped when
 * the events position moves, which also drops results a later event (a redaction, an edit) changes.
 */
import type { Notifier } from "../../notifier/notifier.js";

/**
 * A range of the events stream at most this long is read whole, once, for every sync that asks about
 * it (then filtered to each user's rooms); a longer one (a client back after a long time) is read for
 * the user's rooms alone.
 */
export const SHARED_CHANGE_SCAN_MAX = 5_000;

/** Past this many entries the memo starts over (many tokens far apart at one position). */
const MAX_ENTRIES = 20_000;

export class PositionMemo {
  private readonly entries = new Map<string, Promise<unknown>>();
  private position: number;

  constructor(notifier: Notifier) {
    this.position = notifier.position("events");
    notifier.onNotification((notification) => {
      if (notification.stream !== "events" || notification.position === this.position) return;
      this.position = notification.position;
      this.entries.clear();
    });
  }

  /** The answer for `key`, computed once by `load` while the position stays; failures are not kept. */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const existing = this.entries.get(key);
    if (existing) return existing as Promise<T>;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const pending = load();
    this.entries.set(key, pending);
    pending.catch(() => {
      if (this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }
}
