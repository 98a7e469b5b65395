import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../../src/storage/kysely.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { migrate, MIGRATIONS } from "../../src/storage/migrations/index.js";

for (const kind of DATABASE_KINDS) {
  describe(`migrations on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("apply once, record themselves, and are idempotent", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const rows = await sql<{ name: string }>`SELECT name FROM tessera_migrations ORDER BY name`.execute(db.kysely);
        assert.deepEqual(rows.rows.map((r) => r.name), MIGRATIONS.map((m) => m.name));
        assert.deepEqual(await migrate(db), []);
        // A table of every migration exists and accepts a row.
        await db.kysely.insertInto("users").values({ user_id: "@a:x", password_hash: null, created_ts: 1, is_admin: 0, is_guest: 0, deactivated: 0, locked: 0, suspended: 0, shadow_banned: 0, user_type: null, appservice_id: null }).execute();
        const ids = await db.kysely.insertInto("event_ids").values({ event_id: "$a" }).returning("event_nid").executeTakeFirstOrThrow();
        assert.equal(typeof ids.event_nid, "number");
      } finally {
        await cleanup();
      }
    });

    it("refuses a database written by a newer version", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        await sql`INSERT INTO tessera_migrations (name, applied_ts) VALUES ('999-future', 1)`.execute(db.kysely);
        await assert.rejects(() => migrate(db), /newer Tessera/);
      } finally {
        await cleanup();
      }
    });
  });
}
