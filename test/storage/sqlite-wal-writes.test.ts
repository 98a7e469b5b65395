/**
 * The SQLite extension that writes a commit's WAL frames in one system call
 * (native/sqlite-wal-writes.c, storage/sqlite-wal-writes.ts): loaded before the server's database
 * opens, a commit of many pages is one write call (one per 128 KiB), and nothing changes in what is
 * stored: another connection reads every commit at once, rolled-back transactions leave nothing,
 * transactions larger than the buffer commit whole, and the file passes SQLite's integrity check after
 * being reopened. Without a C compiler the extension is not built and these tests skip (CI requires it:
 * TEST_REQUIRE_NATIVE=1).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { walWriteCounts, walWritesCoalesced } from "../../src/storage/sqlite-wal-writes.js";
import { openTestDb } from "../harness/databases.js";

const built = existsSync(fileURLToPath(new URL("../../build/sqlite-wal-writes.so", import.meta.url)));
if (!built && process.env["TEST_REQUIRE_NATIVE"] === "1") throw new Error("build/sqlite-wal-writes.so is required (TEST_REQUIRE_NATIVE=1) but was not built (npm ci runs scripts/build-native.mjs)");
const skip = built ? false : "build/sqlite-wal-writes.so was not built (no C compiler): SQLite writes its WAL frame by frame";

function openWal(path: string): BetterSqlite3.Database {
  const database = new BetterSqlite3(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  return database;
}

describe("WAL frames written together", { skip }, () => {
  it("is loaded before the server's database opens, which then writes through it", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    const counter = new BetterSqlite3(":memory:");
    try {
      assert.equal(walWritesCoalesced(), true);
      const [framesBefore, callsBefore] = walWriteCounts(counter);
      await db.transaction(async (tx) => {
        for (let i = 0; i < 50; i++) await tx.db.insertInto("event_ids").values({ event_id: `$through-the-extension-${i}` }).execute();
      });
      const [framesAfter, callsAfter] = walWriteCounts(counter);
      assert.ok(framesAfter > framesBefore, "the commit's frames went through the extension");
      assert.ok(callsAfter - callsBefore < framesAfter - framesBefore, "in fewer calls than frames");
    } finally {
      counter.close();
      await cleanup();
    }
  });

  it("writes a commit of many pages in one call, and loses nothing another connection should read", () => {
    assert.equal(walWritesCoalesced(), true);
    const dir = mkdtempSync(join(tmpdir(), "tessera-wal-"));
    try {
      const path = join(dir, "wal.db");
      const writer = openWal(path);
      const reader = openWal(path);
      writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v TEXT); CREATE INDEX t_v ON t (v)");
      const insert = writer.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
      const count = reader.prepare("SELECT COUNT(*) FROM t").pluck();
      const commit = writer.transaction((rows: number, tag: string) => {
        for (let i = 0; i < rows; i++) insert.run(`${tag}-${i}-${Math.random()}`, `${Math.random()}`.repeat(1 + (i % 5)));
      });

      // On a table of 3 000 rows, forty with random keys and values dirty pages all over both indexes.
      commit(3_000, "seed");
      const [framesBefore, callsBefore] = walWriteCounts(writer);
      commit(40, "small");
      const [framesAfter, callsAfter] = walWriteCounts(writer);
      assert.ok(framesAfter - framesBefore >= 20, `a commit of ${framesAfter - framesBefore} frames`);
      const expectedCalls = Math.ceil(((framesAfter - framesBefore) * (24 + 4096)) / 0x1ffff);
      assert.equal(callsAfter - callsBefore, expectedCalls, "one write call per 128 KiB of frames");
      assert.equal(count.get(), 3_040, "the other connection reads the commit at once");

      let expected = 3_040;
      for (let round = 0; round < 200; round++) {
        const rows = round % 50 === 49 ? 20_000 : 1 + (round % 17) * 13; // now and then more than the 4 MiB buffer
        if (round % 7 === 3) {
          assert.throws(() =>
            writer.transaction(() => {
              commit(rows, `dropped${round}`);
              throw new Error("roll back");
            })(),
          );
        } else {
          commit(rows, `round${round}`);
          expected += rows;
        }
        assert.equal(count.get(), expected, `after round ${round}`);
      }
      writer.close();
      reader.close();

      const reopened = new BetterSqlite3(path);
      assert.equal(reopened.prepare("SELECT COUNT(*) FROM t").pluck().get(), expected);
      assert.equal(reopened.pragma("integrity_check", { simple: true }), "ok");
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
