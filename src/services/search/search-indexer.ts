/**
 * Full-text indexing of the messages sent here, off the send path (SQLite). The index rows of an event
 * cost its transaction several more B-tree pages (FTS5 writes a segment per commit) for something no
 * client reads at once; measured, a tenth of a message send. So an event built here is indexed after
 * it committed, with the events of the last moment in one transaction (at most INDEX_DELAY_MS later,
 * or at once when many are waiting), and every search first writes what is waiting: a search never
 * misses a message its user could already see.
 *
 * Nothing is lost on a crash: the index records up to which event number the events built here are
 * indexed, and a start indexes the searchable events after it that have no index row. Events from
 * other servers are indexed in their own transactions as before (they are not on a user's send path).
 * On PostgreSQL the index rows ride in the event's single write statement (pg-write-batching.ts), so
 * nothing is deferred there.
 */
import type { SearchRow } from "../../storage/search-index-sql.js";
import type { SearchStore } from "../../storage/search-store.js";
import type { Logger } from "../../logger.js";

/** How long an event built here may wait for its index rows. */
const INDEX_DELAY_MS = 100;
/** Rows waiting that are written at once rather than after the delay. */
const INDEX_BATCH = 256;

export class SearchIndexer {
  private waiting: SearchRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write under way, which later ones and searches wait for. */
  private writing: Promise<void> = Promise.resolve();
  /**
   * Closed with the server: the database goes next. A send that commits after the close (it was under
   * way when the server began to stop) leaves its rows to the next start's catch-up, and a write that
   * fails is not tried again. (Before, such a row was retried against the closed database every
   * second, forever, and its timer kept the stopping process alive.)
   */
  private closed = false;

  constructor(
    private readonly store: SearchStore,
    private readonly log: Logger,
  ) {}

  /** Takes an event built here once it committed (its number is higher than any indexed before). */
  add(row: SearchRow): void {
    if (this.closed) return;
    this.waiting.push(row);
    if (this.waiting.length >= INDEX_BATCH) void this.flush().catch(() => undefined);
    else this.timer ??= this.later(INDEX_DELAY_MS);
  }

  /** A flush in `ms`; the timer never holds a process that is otherwise done. */
  private later(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => void this.flush().catch(() => undefined), ms);
    timer.unref();
    return timer;
  }

  /** Writes what is waiting; resolves once everything added before the call is indexed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.waiting;
    this.waiting = [];
    const previous = this.writing;
    const write = (async () => {
      await previous.catch(() => undefined);
      if (rows.length === 0) return;
      try {
        await this.store.indexLate(rows, Math.max(...rows.map((row) => row.eventNid)));
      } catch (error) {
        if (this.closed) {
          this.log.warn({ error: String(error), events: rows.length }, "search index write failed while stopping; the next start indexes these events");
          throw error;
        }
        // Kept for the next write; what a crash loses meanwhile the next start finds.
        this.waiting.unshift(...rows);
        this.timer ??= this.later(INDEX_DELAY_MS * 10);
        this.log.error({ error: String(error), events: rows.length }, "search index write failed; retrying");
        throw error;
      }
    })();
    this.writing = write;
    return write;
  }

  /** At start: indexes the searchable events a crash left without index rows. */
  async catchUp(): Promise<void> {
    const indexed = await this.store.catchUp();
    if (indexed > 0) this.log.info({ events: indexed }, "search index caught up after an unclean stop");
  }

  /** At stop: writes what is waiting; nothing after. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush().catch(() => undefined);
  }
}
