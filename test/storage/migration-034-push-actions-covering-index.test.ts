/**
 * Migration 034 widens the push actions' index by user and room so that unread counts read only the
 * index: the entries a database already holds stay, and counting them needs no lookup in the table.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../../src/storage/kysely.js";
import { Db } from "../../src/storage/db.js";
import { migrate, MIGRATIONS } from "../../src/storage/migrations/index.js";
import { createTestDatabase, DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

/** The shape of the count every woken long-poll runs (push-action-store.ts), for its query plan. */
const COUNT = `SELECT thread_id, COUNT(*) AS n, SUM(highlight) AS h FROM event_push_actions
  WHERE user_id = '@a:x' AND room_nid = 1 AND notify = 1 AND stream_ordering > 2 AND stream_ordering <= 1000 GROUP BY thread_id`;

for (const kind of DATABASE_KINDS) {
  describe(`migration 034 on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("keeps the push actions and counts them from the index alone", { skip }, async () => {
      const target = await createTestDatabase(kind);
      const db = await Db.open({ url: target.url, schema: target.schema, poolSize: 1 });
      try {
        const index = MIGRATIONS.findIndex((migration) => migration.name === "034-push-actions-covering-index");
        await migrate(db, { migrations: MIGRATIONS.slice(0, index) });
        const rows = [1, 2, 3, 4].map((n) => ({
          event_nid: n,
          room_nid: 1,
          user_id: "@a:x",
          thread_id: n === 4 ? "$thread" : "",
          stream_ordering: n,
          notify: 1,
          highlight: n === 3 ? 1 : 0,
          actions: '["notify"]',
        }));
        await db.kysely.insertInto("event_push_actions").values(rows).execute();

        assert.deepEqual(await migrate(db, { migrations: MIGRATIONS.slice(0, index + 1) }), ["034-push-actions-covering-index"]);

        const counted = (await sql<{ thread_id: string; n: number; h: number }>`${sql.raw(COUNT)} ORDER BY thread_id`.execute(db.kysely)).rows;
        assert.deepEqual(
          counted.map((r) => [r.thread_id, Number(r.n), Number(r.h)]),
          [
            ["", 1, 1],
            ["$thread", 1, 0],
          ],
        );
        if (kind === "sqlite") {
          const plan = (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${sql.raw(COUNT)}`.execute(db.kysely)).rows.map((r) => r.detail).join("\n");
          assert.match(plan, /USING COVERING INDEX event_push_actions_user_room/, plan);
        } else {
          const definition = (await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE indexname = 'event_push_actions_user_room' AND schemaname = current_schema()`.execute(db.kysely)).rows[0]?.indexdef ?? "";
          assert.match(definition, /\(user_id, room_nid, stream_ordering, thread_id, notify, highlight\)/, definition);
        }
      } finally {
        await db.close();
        await target.cleanup();
      }
    });
  });
}
