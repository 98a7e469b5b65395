/**
 * Transactions as every store relies on them, on both databases: all or nothing, onCommit hooks only
 * after a commit, onFinally hooks always. On SQLite, transactions that wait for the connection are
 * committed together (group commit); one that fails must still fail alone.
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
