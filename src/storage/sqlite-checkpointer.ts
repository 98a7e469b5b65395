/**
 * Keeps SQLite's write-ahead log short without stopping the server for long. In WAL mode with
 * `synchronous = NORMAL` a commit only appends to the WAL; the fsyncs happen when the WAL is copied
 * back into the database file (a checkpoint). Left to SQLite, that copy runs inside whichever commit
 * crosses `wal_autocheckpoint`, and the server stops for it (on the test VM the send path measured
 * commits averaging several ms for that reason).
 *
 * Two ways to checkpoint, chosen by how much is being written:
 * - A quiet server (nothing written in the last interval, and little since the last checkpoint) copies
 *   its few pages on the main connection: a short pause at a moment nobody is writing. Where that
 *   pause proves long (a slow disk's fsync), later checkpoints all go to the worker.
 * - A busy one starts a worker thread with its own connection that checkpoints in PASSIVE mode every
 *   interval, which never blocks the writer. A worker is a second JavaScript engine (~10–16 MiB of
 *   memory), so it is stopped again once nothing was written for a while: a small server, or one
 *   between bursts, does not hold that memory for nothing.
 * The main connection keeps a high automatic threshold only as a backstop.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

// An eval'd worker resolves bare module names from the process's working directory, not from this
// file: it is handed the resolved path, so a server started from another directory finds the driver.
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** Pages (4 KiB) the WAL may reach before the main connection checkpoints itself (nobody else did). */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

export interface CheckpointPolicy {
  /** How often write activity is looked at, and how often the worker checkpoints. */
  intervalMs: number;
  /**
   * Rows changed since the last checkpoint beyond which the worker takes over: below it the WAL is a
   * few hundred pages at most, quick to copy on the main connection.
   */
  busyChanges: number;
  /** The worker stops after this long without a change. */
  workerIdleMs: number;
  /**
   * A checkpoint on the main connection that took longer than this (a slow disk's fsync: an SD card)
   * sends every later one to the worker: such pauses would be felt by whoever is waiting for an answer.
   */
  slowMainMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { intervalMs: 500, busyChanges: 300, workerIdleMs: 10_000, slowMainMs: 50 };

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = " + workerData.synchronous);
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
}, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "close") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  private readonly timer: NodeJS.Timeout;
  private readonly totalChanges: BetterSqlite3.Statement<[], number>;
  private worker: { thread: Worker; exited: Promise<void> } | undefined;
  private stopping: { thread: Worker; exited: Promise<void> } | undefined;
  private lastChanges: number;
  private lastChangeAt = Date.now();
  private changesAtCheckpoint: number;
  private mainTooSlow = false;
  /** How many times a worker was started (tests look). */
  workersStarted = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly path: string,
    private readonly synchronous: "NORMAL" | "FULL",
    private readonly onError: (message: string) => void,
    private readonly policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
  ) {
    // Rows changed by this connection since it opened: a counter SQLite keeps, read without I/O.
    this.totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
    this.lastChanges = this.totalChanges.get() as number;
    this.changesAtCheckpoint = -1; // whatever opening the database wrote is checkpointed at the first quiet moment
    this.timer = setInterval(() => this.tick(), policy.intervalMs);
    // Checkpointing must not keep a stopping process alive.
    this.timer.unref();
  }

  /** Whether the worker thread is running now. */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  private tick(): void {
    // A checkpoint cannot run inside this connection's own transaction (one open across an await).
    if (!this.db.open || this.db.inTransaction) return;
    const changes = this.totalChanges.get() as number;
    const now = Date.now();
    const quiet = changes === this.lastChanges;
    if (!quiet) {
      this.lastChanges = changes;
      this.lastChangeAt = now;
    }
    if (this.worker) {
      if (now - this.lastChangeAt >= this.policy.workerIdleMs) this.stopWorker();
      return;
    }
    if (this.stopping) return; // the worker's connection is closing; the next tick checkpoints here
    const pending = changes - this.changesAtCheckpoint;
    if (pending === 0) return;
    if (pending >= this.policy.busyChanges || this.mainTooSlow) return this.startWorker();
    if (!quiet) return; // being written to: wait for a pause
    const started = performance.now();
    try {
      this.db.pragma("wal_checkpoint(PASSIVE)");
      this.changesAtCheckpoint = changes;
    } catch (error) {
      this.onError(String(error));
    }
    if (performance.now() - started > this.policy.slowMainMs) this.mainTooSlow = true;
  }

  private startWorker(): void {
    const thread = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, synchronous: this.synchronous, intervalMs: this.policy.intervalMs, driver: BETTER_SQLITE3 },
    });
    thread.on("message", (message: { error?: string }) => {
      if (message.error) this.onError(message.error);
    });
    thread.on("error", (error) => this.onError(String(error)));
    const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
    // The thread must not keep a stopping process alive.
    thread.unref();
    this.worker = { thread, exited };
    this.workersStarted++;
  }

  private stopWorker(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    worker.thread.postMessage("close");
    this.stopping = worker;
    void worker.exited.then(() => {
      if (this.stopping === worker) this.stopping = undefined;
      // What the worker left (it stopped after a quiet spell, so little or nothing) is copied here at
      // the next quiet tick; counted from now so that it does not look like a busy backlog.
      this.changesAtCheckpoint = Math.max(this.changesAtCheckpoint, this.lastChanges - 1);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) worker.thread.postMessage("close");
    for (const closing of [worker, this.stopping]) {
      if (!closing) continue;
      // Waiting for the thread to finish must keep the process alive until it has.
      closing.thread.ref();
      await closing.exited;
    }
  }
}
