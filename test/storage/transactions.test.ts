/**
 * Transactions as every store relies on them, on both databases: all or nothing, onCommit hooks only
 * after a commit, onFinally hooks always. On SQLite, transactions that wait for the connection are
 * committed together (group commit); one that fails must still fail alone. Requests reach the database
 * from separate callbacks of the event loop (one per socket read), so transactions asked for by separate
 * callbacks of one loop turn must be committed together too, not only those asked for in one go.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

for (const kind of DATABASE_KINDS) {
  describe(`transactions on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("commits concurrent transactions independently: a failing one leaves no trace and fails alone", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const committed: string[] = [];
        const finished: string[] = [];
        const attempts = Array.from({ length: 20 }, (_, i) =>
          db.transaction(async (tx) => {
            const id = `$event${i}`;
            tx.onCommit(() => committed.push(id));
            tx.onFinally(() => finished.push(id));
            await tx.db.insertInto("event_ids").values({ event_id: id }).execute();
            await tx.db.insertInto("event_ids").values({ event_id: `${id}-second` }).execute();
            if (i % 7 === 3) throw new Error(`refused ${i}`);
            return i;
          }),
        );
        const results = await Promise.allSettled(attempts);
        const failed = results.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
        assert.deepEqual(failed, [3, 10, 17]);
        for (const i of failed) assert.match(String((results[i] as PromiseRejectedResult).reason), new RegExp(`refused ${i}`));
        const rows = await db.kysely.selectFrom("event_ids").select("event_id").execute();
        const stored = new Set(rows.map((r) => r.event_id));
        for (let i = 0; i < 20; i++) {
          const expected = !failed.includes(i);
          assert.equal(stored.has(`$event${i}`), expected, `first write of ${i}`);
          assert.equal(stored.has(`$event${i}-second`), expected, `second write of ${i}`);
        }
        assert.deepEqual(committed.sort(), results.flatMap((r, i) => (r.status === "fulfilled" ? [`$event${i}`] : [])).sort());
        assert.equal(finished.length, 20, "onFinally runs for every transaction");
      } finally {
        await cleanup();
      }
    });

    it("commits the transactions that separate callbacks of one loop turn asked for together (SQLite: one commit)", { skip: skip || (kind !== "sqlite" && "group commit is SQLite's") }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        // A work's log entry and its commit hook's: with one commit for all, every work runs before
        // any hook; with a commit each, they alternate.
        const log: string[] = [];
        const started = Array.from(
          { length: 10 },
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              // Timers due at the same moment run one after another in one turn, each followed by its
              // microtasks, as the sockets a turn reads are.
              setTimeout(() => {
                db.transaction(async (tx) => {
                  log.push(`work ${i}`);
                  tx.onCommit(() => log.push(`commit ${i}`));
                  await tx.db.insertInto("event_ids").values({ event_id: `$turn${i}` }).execute();
                }).then(resolve, reject);
              }, 0);
            }),
        );
        await Promise.all(started);
        assert.deepEqual(log, [...Array.from({ length: 10 }, (_, i) => `work ${i}`), ...Array.from({ length: 10 }, (_, i) => `commit ${i}`)]);
        const rows = await db.kysely.selectFrom("event_ids").select("event_id").where("event_id", "like", "$turn%").execute();
        assert.equal(rows.length, 10);
      } finally {
        await cleanup();
      }
    });

    it("commits, in the same check phase, the transactions of callbacks scheduled before expectTransactions (SQLite)", { skip: skip || (kind !== "sqlite" && "group commit is SQLite's") }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        // Two callbacks scheduled with setImmediate ask for transactions; each also schedules a callback
        // of the next turn. Expected, the round runs right behind them, before the next turn; without
        // expectTransactions it would be scheduled by the first transaction, behind that callback.
        const log: string[] = [];
        const done = Array.from(
          { length: 2 },
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              setImmediate(() => {
                setImmediate(() => log.push(`next turn ${i}`));
                db.transaction(async (tx) => {
                  log.push(`work ${i}`);
                  await tx.db.insertInto("event_ids").values({ event_id: `$expected${i}` }).execute();
                }).then(() => {
                  log.push(`committed ${i}`);
                  resolve();
                }, reject);
              });
            }),
        );
        db.expectTransactions();
        await Promise.all(done);
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(log, ["work 0", "work 1", "committed 0", "committed 1", "next turn 0", "next turn 1"]);
        // Expected but never asked for: the round is empty, and the next transaction still runs.
        db.expectTransactions();
        await new Promise((resolve) => setImmediate(resolve));
        await db.transaction(async (tx) => {
          await tx.db.insertInto("event_ids").values({ event_id: "$after" }).execute();
        });
        const rows = await db.kysely.selectFrom("event_ids").select("event_id").where("event_id", "in", ["$expected0", "$expected1", "$after"]).execute();
        assert.equal(rows.length, 3);
      } finally {
        await cleanup();
      }
    });

    it("keeps a transaction's own constraint failure to itself", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        await db.kysely.insertInto("event_ids").values({ event_id: "$taken" }).execute();
        const outcomes = await Promise.allSettled([
          db.transaction(async (tx) => tx.db.insertInto("event_ids").values({ event_id: "$before" }).execute()),
          db.transaction(async (tx) => tx.db.insertInto("event_ids").values({ event_id: "$taken" }).execute()),
          db.transaction(async (tx) => tx.db.insertInto("event_ids").values({ event_id: "$after" }).execute()),
        ]);
        assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled"]);
        const rows = await db.kysely.selectFrom("event_ids").select("event_id").orderBy("event_id").execute();
        assert.deepEqual(rows.map((r) => r.event_id), ["$after", "$before", "$taken"]);
      } finally {
        await cleanup();
      }
    });
  });
}
