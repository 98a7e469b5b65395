/**
 * Device key counts kept between syncs (services/e2ee/key-count-cache.ts), against a real database:
 * a kept count is answered without reading; a write forgets it; a read that overlapped a write, seeing
 * rows that may still be rolled back (SQLite's shared connection) or a snapshot from before the commit
 * (PostgreSQL), is answered but not kept. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../../src/storage/db.js";
import { E2eKeyStore, type KeySyncSummary } from "../../src/storage/e2e-key-store.js";
import { KeyCountCache } from "../../src/services/e2ee/key-count-cache.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const USER = "@alice:localhost";

function oneTimeKeys(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => ({ algorithm: "signed_curve25519", keyId: `${prefix}${i}`, json: JSON.stringify({ key: `${prefix}${i}` }) }));
}

// Asked before any suite is declared: a quick first suite must not let the run end before the second exists.
const postgresAvailable = await isPostgresAvailable();

for (const database of DATABASE_KINDS) {
  describe(`device key counts kept between syncs on ${database}`, { skip: database === "postgres" && !postgresAvailable ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let store: E2eKeyStore;
    let reads = 0;

    before(async () => {
      ({ db, cleanup } = await openTestDb(database));
      store = new E2eKeyStore(db);
    });
    after(async () => cleanup());

    const read = (deviceId: string) => async (): Promise<KeySyncSummary> => {
      reads++;
      return (await store.syncSummaries([{ userId: USER, deviceId }]))[0] as KeySyncSummary;
    };
    const count = async (cache: KeyCountCache, deviceId: string): Promise<number | undefined> => (await cache.get(USER, deviceId, read(deviceId))).counts["signed_curve25519"];

    it("answers a kept count without reading, and reads again once a write ended", async () => {
      const cache = new KeyCountCache();
      await db.transaction(async (tx) => store.addOneTimeKeys(tx.db, USER, "D1", oneTimeKeys("a", 3)));
      reads = 0;
      assert.equal(await count(cache, "D1"), 3);
      assert.equal(await count(cache, "D1"), 3);
      assert.equal(reads, 1, "the second answer was the kept one");

      await db.transaction(async (tx) => {
        cache.changing(tx, USER, ["D1"]);
        await store.addOneTimeKeys(tx.db, USER, "D1", oneTimeKeys("b", 2));
      });
      assert.equal(await count(cache, "D1"), 5, "the upload's keys are counted");
      await db.transaction(async (tx) => {
        cache.changing(tx, USER, ["D1"]);
        await store.claimOneTimeKeys(tx.db, [{ userId: USER, deviceId: "D1", algorithm: "signed_curve25519" }]);
      });
      assert.equal(await count(cache, "D1"), 4, "the claimed key is gone");
      assert.equal(reads, 3);
    });

    it("does not keep what it read while a write of the device was open, and that write was rolled back", async () => {
      const cache = new KeyCountCache();
      await db.transaction(async (tx) => store.addOneTimeKeys(tx.db, USER, "D2", oneTimeKeys("c", 2)));
      assert.equal(await count(cache, "D2"), 2);
      let wrote!: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const failing = db.transaction(async (tx) => {
        cache.changing(tx, USER, ["D2"]);
        await store.addOneTimeKeys(tx.db, USER, "D2", oneTimeKeys("d", 5));
        wrote();
        await gate;
        throw new Error("the upload fails after writing");
      });
      await written;
      // On PostgreSQL this read answers from the committed rows while the write is open; on SQLite it
      // waits for the write's connection. Either way it is not kept.
      const during = count(cache, "D2");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(cache.size, 0, "nothing kept while the write is open");
      release();
      await assert.rejects(failing, /fails after writing/);
      assert.equal(await during, 2, "the rolled-back keys were never counted");
      assert.equal(cache.size, 0, "the read that overlapped the write was not kept");
      reads = 0;
      assert.equal(await count(cache, "D2"), 2);
      assert.equal(await count(cache, "D2"), 2);
      assert.equal(reads, 1, "read afresh once after the write ended, then kept");
    });

    it("does not keep a read that was under way when a write began", async () => {
      const cache = new KeyCountCache();
      await db.transaction(async (tx) => store.addOneTimeKeys(tx.db, USER, "D3", oneTimeKeys("e", 1)));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // A read whose answer arrives late, after a claim began and committed (a PostgreSQL snapshot from before it).
      const slow = cache.get(USER, "D3", async () => {
        const summary = await read("D3")();
        await gate;
        return summary;
      });
      await db.transaction(async (tx) => {
        cache.changing(tx, USER, ["D3"]);
        await store.claimOneTimeKeys(tx.db, [{ userId: USER, deviceId: "D3", algorithm: "signed_curve25519" }]);
      });
      release();
      assert.equal((await slow).counts["signed_curve25519"], 1, "the late answer is the old count");
      assert.equal(cache.size, 0, "and it was not kept");
      assert.equal(await count(cache, "D3"), undefined, "the next sync reads that no key is left");
    });
  });
}
