/**
 * Moving staged push actions (services/push/staged-push-actions.ts) against a real database: a move
 * takes everything staged up to the event stream's complete position, including entries staged
 * before a restart, leaves what lies beyond it staged, and does nothing when no event came since the
 * last move; a busy stretch is moved in bounded steps that together move all of it; a message's
 * entries for rooms of any size are all stored, written in chunks of the ladder's sizes. On SQLite and
 * PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Db } from "../../src/storage/db.js";
import { PushActionStore, type NewPushAction } from "../../src/storage/push-action-store.js";
import { StagedPushActions } from "../../src/services/push/staged-push-actions.js";
import { createRootLogger } from "../../src/logger.js";
import { LADDER, ladderChunks, paddedToLadder } from "../../src/storage/statement.js";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

function entries(position: number, users: readonly string[]): NewPushAction[] {
  return users.map((userId) => ({ eventNid: position, roomNid: 1, userId, threadId: "main", streamOrdering: position, highlight: false, actions: ["notify"] }));
}

// Asked before any suite is declared: a quick first suite must not let the run end before the second exists.
const postgresAvailable = await isPostgresAvailable();

describe("ladder chunks", () => {
  it("split any total into the ladder's sizes, largest first, summing to it", () => {
    assert.deepEqual(ladderChunks(0), []);
    assert.deepEqual(ladderChunks(299), [128, 128, 32, 8, 1, 1, 1]);
    for (let total = 0; total <= 1000; total++) {
      const sizes = ladderChunks(total);
      assert.equal(sizes.reduce((a, b) => a + b, 0), total);
      assert.ok(sizes.every((size, i) => (LADDER as readonly number[]).includes(size) && (i === 0 || size <= (sizes[i - 1] as number))));
    }
  });

  it("pad an IN list to the smallest ladder size that holds it with its last item", () => {
    assert.deepEqual(paddedToLadder(["a"]), ["a"]);
    assert.deepEqual(paddedToLadder(["a", "b"]), ["a", "b", "b", "b", "b", "b", "b", "b"]);
    assert.equal(paddedToLadder(Array.from({ length: 33 }, (_, i) => i)).length, 128);
    assert.deepEqual(new Set(paddedToLadder(Array.from({ length: 33 }, (_, i) => i))), new Set(Array.from({ length: 33 }, (_, i) => i)));
    assert.throws(() => paddedToLadder([]));
    assert.throws(() => paddedToLadder(Array.from({ length: 129 }, (_, i) => i)));
  });
});

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

    it("stores every member's entry of a message, for rooms of any size", async () => {
      const sizes = [1, 7, 33, 128, 161, 299];
      let position = 1000;
      for (const members of sizes) {
        position++;
        const users = Array.from({ length: members }, (_, i) => `@member${i}:x`);
        await db.transaction((tx) => store.insertActions(tx.db, entries(position, users)));
        const stored = await db.kysely.selectFrom("event_push_actions_staging").select("user_id").where("stream_ordering", "=", position).execute();
        assert.deepEqual(stored.map((r) => r.user_id).sort(), [...users].sort(), `${members} members`);
      }
      await db.kysely.deleteFrom("event_push_actions_staging").where("stream_ordering", ">", 1000).execute();
    });

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

    it("moves a busy stretch in bounded steps that together move all of it", async () => {
      await db.kysely.deleteFrom("event_push_actions").execute();
      const users = Array.from({ length: 10 }, (_, i) => `@reader${i}:x`);
      let complete = 100;
      // At most ~30 entries a step: with 10 entries per position, 3 positions a step.
      const mover = new StagedPushActions(db, store, () => complete, createRootLogger("silent"), 3_600_000, 30);
      try {
        await mover.move(); // a first move, of nothing: what follows is measured from position 100
        for (let position = 101; position <= 160; position++) await db.transaction((tx) => store.insertActions(tx.db, entries(position, users)));
        complete = 160;
        const stepsBefore = mover.steps;
        await mover.move();
        assert.deepEqual(await where(), { moved: 600, staged: 0 }, "everything up to the complete position moved");
        const steps = mover.steps - stepsBefore;
        // 600 entries staged over 60 positions: 3 positions a step.
        assert.equal(steps, 20, `${steps} steps for 600 entries at ~30 a step`);
        const unread = await store.countsByThreadInRooms("@reader3:x", [{ roomNid: 1, after: 100 }], 160);
        assert.deepEqual(unread.get(1), [{ threadId: "main", notifications: 60, highlights: 0 }]);
      } finally {
        await mover.close();
      }
    });

    it("passes a stretch of events that staged nothing without a step", async () => {
      await db.kysely.deleteFrom("event_push_actions").execute();
      let complete = 2000;
      const mover = new StagedPushActions(db, store, () => complete, createRootLogger("silent"), 3_600_000, 30);
      try {
        await mover.move();
        const stepsBefore = mover.steps;
        // A thousand messages nobody else was notified of (rooms of one): nothing to move, no transaction.
        complete = 3000;
        await mover.move();
        assert.equal(mover.steps - stepsBefore, 0);
        for (const position of [3001, 3002]) await db.transaction((tx) => store.insertActions(tx.db, entries(position, ["@a:x", "@b:x"])));
        complete = 3002;
        await mover.move();
        assert.equal(mover.steps - stepsBefore, 1, "the next entries move in one step");
        assert.deepEqual(await where(), { moved: 4, staged: 0 });
      } finally {
        await mover.close();
      }
    });
  });
}
