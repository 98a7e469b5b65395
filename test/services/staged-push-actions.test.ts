/**
 * Moving staged push actions (services/push/staged-push-actions.ts) against a real database: a move
 * takes everything staged up to the event stream's complete position, including entries staged
 * before a restart, leaves what lies beyond it staged, and does nothing when no event came since the
 * last move. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../../src/storage/db.js";
import { PushActionStore, type NewPushAction } from "../../src/storage/push-action-store.js";
import { StagedPushActions } from "../../src/services/push/staged-push-actions.js";
import { createRootLogger } from "../../src/logger.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

function entries(position: number, users: readonly string[]): NewPushAction[] {
  return users.map((userId) => ({ eventNid: position, roomNid: 1, userId, threadId: "main", streamOrdering: position, highlight: false, actions: ["notify"] }));
}

// Asked before any suite is declared: a quick first suite must not let the run end before the second exists.
const postgresAvailable = await isPostgresAvailable();

for (const database of DATABASE_KINDS) {
  describe(`moving staged push actions on ${database}`, { skip: database === "postgres" && !postgresAvailable ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let store: PushActionStore;

    before(async () => {
      ({ db, cleanup } = await openTestDb(database));
      store = new PushActionStore(db);
    });
    after(async () => cleanup());

    const where = async (): Promise<{ moved: number; staged: number }> => {
      const count = async (table: "event_push_actions" | "event_push_actions_staging"): Promise<number> =>
        Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
      return { moved: await count("event_push_actions"), staged: await count("event_push_actions_staging") };
    };

    it("moves what is staged up to the complete position, and nothing when nothing came", async () => {
      for (let position = 1; position <= 12; position++) await db.transaction((tx) => store.insertActions(tx.db, entries(position, ["@a:x", "@b:x"])));
      let complete = 10;
      // A mover started after these were staged (a restart): its first move takes them.
      const mover = new StagedPushActions(db, store, () => complete, createRootLogger("silent"), 3_600_000);
      try {
        await mover.move();
        assert.equal(mover.moved, 20);
        assert.deepEqual(await where(), { moved: 20, staged: 4 }, "11 and 12 lie beyond the complete position");
        await mover.move();
        assert.equal(mover.moved, 20, "no event since: nothing moved");
        complete = 12;
        await mover.move();
        assert.deepEqual(await where(), { moved: 24, staged: 0 });
        const unread = await store.countsByThreadInRooms("@a:x", [{ roomNid: 1, after: 0 }], 12);
        assert.deepEqual(unread.get(1), [{ threadId: "main", notifications: 12, highlights: 0 }]);
      } finally {
        await mover.close();
      }
    });
  });
}
