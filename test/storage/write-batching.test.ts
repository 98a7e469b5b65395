/**
 * Batchable writes (statement.ts `batchAs`, pg-write-batching.ts): on PostgreSQL they are held back
 * inside a transaction and sent together; on SQLite they run at once. On both databases a
 * transaction must behave as if each ran in order: reads see them, a rollback leaves nothing, two
 * writes to one table apply in order, and a failing held write fails the transaction whole.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../../src/storage/kysely.js";
import pg from "pg";
import { BATCH_MARKER, batchingPool, combineWrites } from "../../src/storage/pg-write-batching.js";
import { Statement } from "../../src/storage/statement.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE, POSTGRES_URL } from "../harness/databases.js";

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

  it("gives the same combination the same text again, with this time's parameters", () => {
    const writes = (a: number, b: number) => [
      { sql: "INSERT INTO a (x) VALUES ($1)", params: [a] },
      { sql: "DELETE FROM b WHERE z = $1", params: [b] },
    ];
    const first = combineWrites(writes(1, 2));
    const again = combineWrites(writes(3, 4));
    assert.equal(again.sql, first.sql);
    assert.deepEqual(again.params, [3, 4]);
    // Another order is another statement.
    const swapped = combineWrites([...writes(5, 6)].reverse());
    assert.equal(swapped.sql, "WITH w0 AS (DELETE FROM b WHERE z = $1) INSERT INTO a (x) VALUES ($2)");
    assert.deepEqual(swapped.params, [6, 5]);
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

describe("batching pool round trips on postgres", async () => {
  const skip = !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

  it("sends a transaction of batchable writes as one statement, and BEGIN only before a statement that needs it", { skip }, async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const sent: string[] = [];
    const counting = {
      async connect() {
        const client = await pool.connect();
        return {
          query: (text: string, params: unknown[]) => {
            sent.push(text.split(" ")[0] as string);
            return client.query(text, params);
          },
          release: (destroy?: boolean) => client.release(destroy),
        };
      },
      end: () => pool.end(),
    };
    const batching = batchingPool(counting as never);
    const client = await batching.connect();
    try {
      await client.query("CREATE TEMP TABLE batch_a (x INTEGER PRIMARY KEY)", []);
      await client.query("CREATE TEMP TABLE batch_b (y INTEGER)", []);
      const a = `${BATCH_MARKER}batch_a*/ INSERT INTO batch_a (x) VALUES ($1)`;
      const b = `${BATCH_MARKER}batch_b*/ INSERT INTO batch_b (y) VALUES ($1)`;
      sent.length = 0;
      await client.query("begin", []);
      await client.query(a, [1]);
      await client.query(b, [2]);
      await client.query("commit", []);
      assert.deepEqual(sent, ["WITH"], "one statement, no BEGIN or COMMIT");

      sent.length = 0;
      await client.query("begin", []);
      await client.query(a, [3]);
      const read = await client.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM batch_a", []);
      await client.query(b, [4]);
      await client.query("commit", []);
      assert.equal(read.rows[0]?.n, 2, "the read sees the held write");
      assert.deepEqual(sent, ["BEGIN", "/*batch:batch_a*/", "SELECT", "/*batch:batch_b*/", "commit"]);

      // A failing one-statement transaction leaves nothing and the next starts clean.
      sent.length = 0;
      await client.query("begin", []);
      await client.query(b, [5]);
      await client.query(a, [1]);
      await assert.rejects(client.query("commit", []), /duplicate key/);
      await client.query("rollback", []);
      const rows = await client.query<{ y: number }>("SELECT y FROM batch_b ORDER BY y", []);
      assert.deepEqual(
        rows.rows.map((r) => r.y),
        [2, 4],
      );
      assert.deepEqual(sent, ["WITH", "SELECT"], "no ROLLBACK sent for a transaction that was one statement");
    } finally {
      client.release();
      await batching.end();
    }
  });
});
