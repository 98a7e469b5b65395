/**
 * The WAL checkpointer's worker thread finds its database driver wherever the server was started
 * from: its source is evaluated inline, and bare module names would resolve from the working
 * directory (a server started outside the project would log "Cannot find module" on every start and
 * never checkpoint).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

describe("SQLite WAL checkpointer", () => {
  it("checkpoints from a process whose working directory has no node_modules", () => {
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
      const checkpointer = new SqliteCheckpointer(path, "NORMAL", (m) => errors.push(m), 20);
      await new Promise((r) => setTimeout(r, 400));
      await checkpointer.close();
      const wal = db.pragma("wal_checkpoint(PASSIVE)")[0];
      console.log(JSON.stringify({ errors, wal }));
    `;
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    writeFileSync(join(dir, "run.mjs"), script);
    const run = spawnSync(process.execPath, ["--import", tsx, "run.mjs"], { cwd: dir, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop() as string) as { errors: string[]; wal: { busy: number; log: number; checkpointed: number } };
    assert.deepEqual(result.errors, []);
    // The worker checkpointed the whole log already: nothing was left for this last checkpoint to copy.
    assert.equal(result.wal.checkpointed, result.wal.log);
  });
});
