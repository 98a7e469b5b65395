/**
 * Batchable writes (statement.ts `batchAs`, pg-write-batching.ts): on PostgreSQL they are held back
 * inside a transaction and sent together; on SQLite they run at once. On both databases a
 * transaction must behave as if each ran in order: reads see them, a rollback leaves nothing, two
 * writes to one table apply in order, and a failing held write fails the transaction whole.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { combineWrites } from "../../src/storage/pg-write-batching.js";
import { Statement } from "../../src/storage/statement.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const insertId = new Statement(`INSERT INTO event_ids (event_id) VALUES (?)`, { batchAs: "event_ids" });
const insertExtremity = new Statement(`INSERT INTO forward_extremities (room_nid, event_nid) VALUES (?, ?)`, { batchAs: "forward_extremities" });
const deleteExtremity = new Statement(`DELETE FROM forward_extremities WHERE room_nid = ? AND event_nid = ?`, { batchAs: "forward_extremities" });

describe("combineWrites", () => {
  it("numbers each write's placeholders after the ones before it", () => {
    const combined = combineWrites([
      { sql: "INSERT INTO a (x, y) VALUES ($1, $2)", params: [1, 2] },
      { sql: "DELETE FROM b WHERE z = $1", params: [3] },
      { sql: "INSERT INTO c (x) VALUES ($1), ($2)", params: [4, 5] },
    ]);
    assert.equal(combined.sql, "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), w1 AS (DELETE FROM b WHERE z = $3) INSERT INTO c (x) VALUES ($4), ($5)");
    assert.deepEqual(combined.params, [1, 2, 3, 4, 5]);
  });

  it("sends a lone write as it is", () => {
    assert.deepEqual(combineWrites([{ sql: "DELETE FROM b WHERE z = $1", params: [3] }]), { sql: "DELETE FROM b WHERE z = $1", params: [3] });
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`batchable writes on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("are seen by reads later in the transaction and after the commit", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const seen = await db.transaction(async (tx) => {
          await insertId.all(db.dialect, tx.db, ["$one"]);
          await insertExtremity.all(db.dialect, tx.db, [7, 1]);
          const ids = await tx.db.selectFrom("event_ids").select("event_id").where("event_id", "=", "$one").execute();
          await insertId.all(db.dialect, tx.db, ["$two"]);
          return ids.length;
        });
        assert.equal(seen, 1);
        const ids = await db.kysely.selectFrom("event_ids").select("event_id").where("event_id", "in", ["$one", "$two"]).orderBy("event_id").execute();
        assert.deepEqual(
          ids.map((r) => r.event_id),
          ["$one", "$two"],
        );
        const extremities = await db.kysely.selectFrom("forward_extremities").selectAll().where("room_nid", "=", 7).execute();
        assert.deepEqual(
          extremities.map((r) => Number(r.event_nid)),
          [1],
        );
      } finally {
        await cleanup();
      }
    });

    it("apply in order when two write one table (a chain: the second deletes what the first added)", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        await db.transaction(async (tx) => {
          await insertExtremity.all(db.dialect, tx.db, [8, 1]);
          await deleteExtremity.all(db.dialect, tx.db, [8, 1]);
          await insertExtremity.all(db.dialect, tx.db, [8, 2]);
          await deleteExtremity.all(db.dialect, tx.db, [8, 2]);
          await insertExtremity.all(db.dialect, tx.db, [8, 3]);
        });
        const extremities = await db.kysely.selectFrom("forward_extremities").selectAll().where("room_nid", "=", 8).execute();
        assert.deepEqual(
          extremities.map((r) => Number(r.event_nid)),
          [3],
        );
      } finally {
        await cleanup();
      }
    });

    it("leave nothing when the transaction fails after them", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        await assert.rejects(
          db.transaction(async (tx) => {
            await insertId.all(db.dialect, tx.db, ["$rolled-back"]);
            throw new Error("refused");
          }),
          /refused/,
        );
        // The connection goes back to the pool clean: the next transaction does not send the dropped write.
        await db.transaction(async (tx) => {
          await insertId.all(db.dialect, tx.db, ["$next"]);
        });
        const ids = await db.kysely.selectFrom("event_ids").select("event_id").where("event_id", "in", ["$rolled-back", "$next"]).execute();
        assert.deepEqual(
          ids.map((r) => r.event_id),
          ["$next"],
        );
      } finally {
        await cleanup();
      }
    });

    it("fail the transaction whole when one of them fails (a duplicate key sent with others)", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        await insertId.all(db.dialect, db.kysely, ["$exists"]);
        await assert.rejects(
          db.transaction(async (tx) => {
            await insertExtremity.all(db.dialect, tx.db, [9, 1]);
            await insertId.all(db.dialect, tx.db, ["$exists"]);
          }),
        );
        const extremities = await db.kysely.selectFrom("forward_extremities").selectAll().where("room_nid", "=", 9).execute();
        assert.equal(extremities.length, 0);
        // Outside a transaction a batchable write runs at once.
        await insertExtremity.all(db.dialect, db.kysely, [9, 2]);
        const after = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM forward_extremities WHERE room_nid = 9`.execute(db.kysely);
        assert.equal(Number(after.rows[0]?.n), 1);
      } finally {
        await cleanup();
      }
    });
  });
}
