/**
 * Moves SQLite's WAL checkpoints off the event loop. In WAL mode with `synchronous = NORMAL` a commit
 * only appends to the WAL; the fsyncs happen when the WAL is copied back into the database file. Left
 * to SQLite, that copy runs inside whichever commit crosses `wal_autocheckpoint`, and the server stops
 * for it (on the test VM the send path measured commits averaging several ms for that reason). Here a
 * worker thread with its own connection checkpoints in PASSIVE mode every interval, which never
 * blocks the writer; the main connection keeps a high automatic threshold only as a backstop.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

// An eval'd worker resolves bare module names from the process's working directory, not from this
// file: it is handed the resolved path, so a server started from another directory finds the driver.
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** Pages (4 KiB) the WAL may reach before the main connection checkpoints itself (the worker fell behind). */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

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
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, synchronous: "NORMAL" | "FULL", onError: (message: string) => void, intervalMs = 500) {
    // Inline source: the same code runs from src/ under tsx and from dist/, with no file to locate.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, synchronous, intervalMs, driver: BETTER_SQLITE3 } });
    this.worker.on("message", (message: { error?: string }) => {
      if (message.error) onError(message.error);
    });
    this.worker.on("error", (error) => onError(String(error)));
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    // The thread must not keep a stopping process alive.
    this.worker.unref();
  }

  async close(): Promise<void> {
    // Waiting for the thread to finish must keep the process alive until it has.
    this.worker.ref();
    this.worker.postMessage("close");
    await this.exited;
  }
}
