/**
 * Precompiled statements run on SQLite's connection directly (storage/sqlite-direct.ts) only where
 * that cannot change what they see: inside their own transaction (and rolled back with it, alone when
 * it fails among others committed together), and on the database itself only while no transaction is
 * open; a statement on the database while one is open waits for it and never sees its uncommitted rows.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Statement } from "../../src/storage/statement.js";
import { openTestDb } from "../harness/databases.js";

const insert = new Statement("INSERT INTO event_ids (event_id) VALUES (?)");
const count = new Statement<{ n: number }>("SELECT COUNT(*) AS n FROM event_ids WHERE event_id LIKE ?");
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe("statements run directly on SQLite's connection", () => {
  it("run inside their transaction without Kysely, and roll back with it", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    try {
      let throughKysely = 0;
      await db.transaction(async (tx) => {
        const executeQuery = tx.db.executeQuery.bind(tx.db);
        tx.db.executeQuery = ((query: Parameters<typeof executeQuery>[0]) => {
          throughKysely++;
          return executeQuery(query);
        }) as typeof executeQuery;
        await insert.all(db.dialect, tx.db, ["$kept"]);
        assert.equal((await count.first(db.dialect, tx.db, ["$kept"]))?.n, 1, "the transaction sees its own row");
      });
      assert.equal(throughKysely, 0, "neither statement went through Kysely");
      assert.equal((await count.first(db.dialect, db.kysely, ["$kept"]))?.n, 1);

      await assert.rejects(
        db.transaction(async (tx) => {
          await insert.all(db.dialect, tx.db, ["$dropped"]);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.equal((await count.first(db.dialect, db.kysely, ["$dropped"]))?.n, 0);
    } finally {
      await cleanup();
    }
  });

  it("roll back alone in a failed transaction committed in the same round as others", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    try {
      // Three transactions queued at once run in one round (storage/group-commit.ts), each in a savepoint.
      const results = await Promise.allSettled(
        ["$one", "$two", "$three"].map((id) =>
          db.transaction(async (tx) => {
            await insert.all(db.dialect, tx.db, [id]);
            if (id === "$two") throw new Error("the second fails");
          }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
      assert.equal((await count.first(db.dialect, db.kysely, ["$one"]))?.n, 1);
      assert.equal((await count.first(db.dialect, db.kysely, ["$two"]))?.n, 0);
      assert.equal((await count.first(db.dialect, db.kysely, ["$three"]))?.n, 1);
    } finally {
      await cleanup();
    }
  });

  it("on the database itself, wait for an open transaction and see only what it committed", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    try {
      for (const outcome of ["commit", "roll back"] as const) {
        const id = `$open-${outcome}`;
        let read: Promise<number | undefined> | undefined;
        let readDone = false;
        const transaction = db.transaction(async (tx) => {
          await insert.all(db.dialect, tx.db, [id]);
          // Started outside the transaction's async context, as another request's read would be.
          setImmediate(() => {
            read = count.first(db.dialect, db.kysely, [id]).then((row) => {
              readDone = true;
              return row?.n;
            });
          });
          await tick();
          assert.equal(readDone, false, "the read waits while the transaction is open");
          if (outcome === "roll back") throw new Error("roll back");
        });
        if (outcome === "commit") await transaction;
        else await assert.rejects(transaction, /roll back/);
        assert.equal(await read, outcome === "commit" ? 1 : 0);
      }
      // With no transaction open, a statement on the database runs at once and sees everything committed.
      assert.equal((await count.first(db.dialect, db.kysely, ["$open-%"]))?.n, 1);
    } finally {
      await cleanup();
    }
  });

  it("stop running directly on a transaction's executor once the transaction ended", async () => {
    const { db, cleanup } = await openTestDb("sqlite");
    try {
      let kept: Parameters<Parameters<typeof db.transaction>[0]>[0]["db"] | undefined;
      await db.transaction(async (tx) => {
        kept = tx.db;
        await insert.all(db.dialect, tx.db, ["$inside"]);
      });
      // A finished transaction's executor refuses: the statement must not slip into the connection unnoticed.
      await assert.rejects(insert.all(db.dialect, kept as NonNullable<typeof kept>, ["$after"]), /has ended/);
      // Nor a query built with Kysely on it.
      await assert.rejects((kept as NonNullable<typeof kept>).insertInto("event_ids").values({ event_id: "$after" }).execute(), /has ended/);
      assert.equal((await count.first(db.dialect, db.kysely, ["$after"]))?.n, 0);
    } finally {
      await cleanup();
    }
  });
});
