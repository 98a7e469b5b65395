/**
 * The WAL checkpointer: a quiet database is checkpointed on its own connection, a busy one by a worker
 * thread that stops again once writing stops; and the worker finds its database driver wherever the
 * server was started from (its source is evaluated inline, and bare module names would resolve from
 * the working directory: a server started outside the project would never checkpoint).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { SqliteCheckpointer, type CheckpointPolicy } from "../../src/storage/sqlite-checkpointer.js";

const require = createRequire(import.meta.url);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface WalState {
  busy: number;
  log: number;
  checkpointed: number;
}

/** What the WAL holds and how much of it is copied back, without copying anything. */
function walState(db: Database.Database): WalState {
  return (db.pragma("wal_checkpoint(NOOP)") as WalState[])[0] as WalState;
}

/** The WAL's state once everything in it is copied back, or as it is after two seconds of waiting. */
async function copiedBack(db: Database.Database): Promise<WalState> {
  let wal = walState(db);
  for (let i = 0; i < 100 && wal.checkpointed !== wal.log; i++) {
    await sleep(20);
    wal = walState(db);
  }
  return wal;
}

interface Running {
  db: Database.Database;
  checkpointer: SqliteCheckpointer;
  /** Writes `n` rows on the checkpointer's connection. */
  insert: (n: number) => void;
}

/**
 * Runs `body` with a checkpointer on a fresh WAL database (ticking every 20 ms; the policy's other
 * values as given), then checks that it reported no error, and closes both.
 */
async function withCheckpointer(policy: Omit<CheckpointPolicy, "intervalMs">, body: (running: Running) => Promise<void>): Promise<void> {
  const path = join(mkdtempSync(join(tmpdir(), "tessera-checkpoint-")), "db.sqlite");
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (x TEXT)");
  const statement = db.prepare("INSERT INTO t VALUES (?)");
  const insert = (n: number): void => {
    for (let i = 0; i < n; i++) statement.run(`row ${i} ${"x".repeat(200)}`);
  };
  const errors: string[] = [];
  const checkpointer = new SqliteCheckpointer(db, path, "NORMAL", (m) => errors.push(m), { intervalMs: 20, ...policy });
  try {
    await body({ db, checkpointer, insert });
    assert.deepEqual(errors, []);
  } finally {
    await checkpointer.close();
    db.close();
  }
}

describe("SQLite WAL checkpointer", () => {
  it("checkpoints a quiet database on its own connection, without starting a worker", async () => {
    await withCheckpointer({ busyChanges: 1000, workerIdleMs: 200, slowMainMs: 10_000 }, async ({ db, checkpointer, insert }) => {
      await sleep(60);
      insert(50);
      const before = walState(db);
      assert.ok(before.log > before.checkpointed, "the inserts wait in the WAL");
      const after = await copiedBack(db);
      assert.equal(after.checkpointed, after.log, "copied back at the first quiet moment");
      assert.equal(checkpointer.workersStarted, 0);
    });
  });

  it("hands a busy database to a worker thread and stops it once writing stops", async () => {
    await withCheckpointer({ busyChanges: 100, workerIdleMs: 200, slowMainMs: 10_000 }, async ({ db, checkpointer, insert }) => {
      await sleep(60);
      for (let i = 0; i < 10; i++) {
        insert(40);
        await sleep(25);
      }
      assert.equal(checkpointer.workersStarted, 1);
      assert.ok(checkpointer.workerRunning, "the worker runs while writes go on");
      for (let i = 0; i < 100 && checkpointer.workerRunning; i++) await sleep(20);
      assert.ok(!checkpointer.workerRunning, "stopped after a quiet spell");
      const wal = await copiedBack(db);
      assert.equal(wal.checkpointed, wal.log, "everything written is in the database file");
    });
  });

  it("leaves checkpoints to the worker once one on the main connection was slow", async () => {
    // Any main-connection checkpoint counts as slow here (a disk whose fsync takes longer than this).
    await withCheckpointer({ busyChanges: 1000, workerIdleMs: 60_000, slowMainMs: -1 }, async ({ db, checkpointer, insert }) => {
      await sleep(60);
      assert.equal(checkpointer.workersStarted, 0, "the first checkpoint ran on the main connection");
      insert(5);
      for (let i = 0; i < 50 && checkpointer.workersStarted === 0; i++) await sleep(20);
      assert.equal(checkpointer.workersStarted, 1, "a few rows later, the worker took over");
      const wal = await copiedBack(db);
      assert.equal(wal.checkpointed, wal.log, "the worker copied the rows back");
    });
  });

  it("starts its worker from a process whose working directory has no node_modules", () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-checkpoint-"));
    const checkpointer = pathToFileURL(resolve("src/storage/sqlite-checkpointer.ts")).href;
    const driver = pathToFileURL(require.resolve("better-sqlite3")).href;
    const script = `
      import { SqliteCheckpointer } from ${JSON.stringify(checkpointer)};
      import Database from ${JSON.stringify(driver)};
      const path = ${JSON.stringify(join(dir, "db.sqlite"))};
      const db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("wal_autocheckpoint = 0");
      db.exec("CREATE TABLE t (x TEXT)");
      for (let i = 0; i < 2000; i++) db.prepare("INSERT INTO t VALUES (?)").run("row " + i);
      const errors = [];
      // 2 000 rows written before it started: a backlog for the worker at once.
      const checkpointer = new SqliteCheckpointer(db, path, "NORMAL", (m) => errors.push(m), { intervalMs: 20, busyChanges: 100, workerIdleMs: 60_000, slowMainMs: 10_000 });
      await new Promise((r) => setTimeout(r, 400));
      const started = checkpointer.workersStarted;
      await checkpointer.close();
      const wal = new Database(path).pragma("wal_checkpoint(PASSIVE)")[0];
      console.log(JSON.stringify({ errors, wal, started }));
    `;
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    writeFileSync(join(dir, "run.mjs"), script);
    const run = spawnSync(process.execPath, ["--import", tsx, "run.mjs"], { cwd: dir, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop() as string) as { errors: string[]; wal: WalState; started: number };
    assert.deepEqual(result.errors, []);
    assert.equal(result.started, 1);
    // The worker checkpointed the whole log already: nothing was left for this last checkpoint to copy.
    assert.equal(result.wal.checkpointed, result.wal.log);
  });
});
