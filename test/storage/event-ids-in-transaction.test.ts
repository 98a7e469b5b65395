/**
 * Event numbers given in a transaction are known to the rest of that transaction without asking the
 * database again (a chain of messages persisted together cites the one before it), and unknown to
 * everything else until it commits: a rolled-back number must never be handed out as an event's.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventStore } from "../../src/storage/event-store.js";
import type { Tx } from "../../src/storage/executor.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

/** Counts the statements run on the transaction's executor. */
function counting(tx: Tx): { tx: Tx; count: () => number } {
  let statements = 0;
  const executeQuery = tx.db.executeQuery.bind(tx.db);
  const db = Object.create(tx.db) as Tx["db"];
  // Statements that would run on SQLite's connection directly (storage/sqlite-direct.ts, marked by a
  // symbol on the executor) go through executeQuery here, so that every one is counted.
  for (const symbol of Object.getOwnPropertySymbols(tx.db)) Object.defineProperty(db, symbol, { value: undefined });
  db.executeQuery = ((query: Parameters<typeof executeQuery>[0]) => {
    statements++;
    return executeQuery(query);
  }) as typeof executeQuery;
  return { tx: { ...tx, db }, count: () => statements };
}

for (const kind of DATABASE_KINDS) {
  describe(`event numbers within a transaction on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("are reused by the same transaction without a statement, and forgotten when it rolls back", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const events = new EventStore(db);
        let first = 0;
        await assert.rejects(
          db.transaction(async (raw) => {
            const { tx, count } = counting(raw);
            first = (await events.internNewEventIds(tx, "$first", [])).get("$first") as number;
            const before = count();
            const cited = await events.internNewEventIds(tx, "$second", ["$first"]);
            assert.equal(cited.get("$first"), first, "the number given a moment ago");
            const again = await events.internEventIds(tx, ["$first", "$second"]);
            assert.deepEqual([again.get("$first"), again.get("$second")], [first, cited.get("$second")]);
            // Only the second event's own ID was written (its number comes from the block drawn for the first).
            assert.equal(count() - before, 1, "statements after the first event");
            throw new Error("roll back");
          }),
          /roll back/,
        );
        // Another transaction does not see the numbers of the one that rolled back.
        const afterwards = await events.eventNids(["$first", "$second"]);
        assert.equal(afterwards.size, 0);
        await db.transaction(async (tx) => {
          const nids = await events.internEventIds(tx, ["$first"]);
          assert.ok(nids.get("$first") !== undefined);
        });
      } finally {
        await cleanup();
      }
    });
  });
}
