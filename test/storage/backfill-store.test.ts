/**
 * BackfillStore on both databases: the gaps of a room's history (prev events missing, or held only as
 * outliers), the stream orderings below everything for backfilled events, and an outlier becoming a
 * timeline event once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DATABASE_KINDS, isPostgresAvailable, openTestDb, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { BackfillStore } from "../../src/storage/backfill-store.js";
import { EventStore } from "../../src/storage/event-store.js";
import { RoomStore } from "../../src/storage/room-store.js";
import type { Db } from "../../src/storage/db.js";

interface Row {
  id: string;
  depth: number;
  stream: number | null;
  prev: string[];
  rejected?: string;
}

async function insertEvents(db: Db, events: EventStore, roomNid: number, rows: readonly Row[]): Promise<Map<string, number>> {
  let nids = new Map<string, number>();
  await db.transaction(async (tx) => {
    nids = await events.internEventIds(tx, rows.flatMap((r) => [r.id, ...r.prev]));
    for (const row of rows) {
      const nid = nids.get(row.id) as number;
      await events.insertEvent(tx.db, {
        nid,
        roomNid,
        streamOrdering: row.stream,
        depth: row.depth,
        type: "m.room.message",
        stateKeyNid: null,
        sender: "@a:example.org",
        originServerTs: row.depth,
        receivedTs: 0,
        json: JSON.stringify({ type: "m.room.message", depth: row.depth }),
        outlier: row.stream === null,
        rejectedReason: row.rejected ?? null,
        softFailed: false,
        stateSnapshotNid: null,
        prevStateEventNid: null,
        relatesToId: null,
        relType: null,
        threadId: null,
      });
      await events.insertEdges(tx.db, nid, row.prev.map((id) => nids.get(id) as number), []);
    }
  });
  return nids;
}

for (const kind of DATABASE_KINDS) {
  describe(`backfill store on ${kind}`, async () => {
    const skip = kind === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

    it("finds the gaps below a depth, gives stream orderings below all others, and promotes an outlier once", { skip }, async () => {
      const { db, cleanup } = await openTestDb(kind);
      try {
        const events = new EventStore(db);
        const store = new BackfillStore();
        const roomNid = await new RoomStore(db).insertRoom(db.kysely, "!r:example.org", "10", 0);
        const nids = await insertEvents(db, events, roomNid, [
          { id: "$outlier", depth: 1, stream: null, prev: [] },
          { id: "$rejected", depth: 1, stream: null, prev: [], rejected: "bad" },
          { id: "$join", depth: 5, stream: 10, prev: ["$unknown", "$outlier"] },
          { id: "$after-rejected", depth: 4, stream: 9, prev: ["$rejected"] },
          { id: "$message", depth: 6, stream: 11, prev: ["$join"] },
        ]);
        const gaps = async (maxDepth: number, minDepth = -1): Promise<string[]> =>
          (await store.backwardExtremities(db.kysely, roomNid, maxDepth, minDepth, 10)).map((g) => g.missingEventId).sort();
        assert.deepEqual(await gaps(100), ["$outlier", "$unknown"], "missing and outlier prev events; a rejected one is no gap");
        const nid = (id: string): number => nids.get(id) as number;
        assert.equal(await store.isNextToBackwardGap(db.kysely, nid("$join")), true);
        assert.equal(await store.isNextToBackwardGap(db.kysely, nid("$message")), false);
        await db.transaction((tx) => events.updateForwardExtremities(tx.db, roomNid, [], [nid("$message")]));
        assert.equal(await store.isNextToForwardGap(db.kysely, roomNid, nid("$message")), false, "the newest event is no gap");
        assert.equal(await store.isNextToForwardGap(db.kysely, roomNid, nid("$join")), false, "its child is held");
        assert.equal(await store.isNextToForwardGap(db.kysely, roomNid, nid("$after-rejected")), true, "nothing held after it");
        assert.deepEqual(await gaps(4), [], "only gaps at or below the depth asked");
        assert.deepEqual(await gaps(100, 5), [], "and above the lower bound");

        assert.equal(await db.transaction((tx) => store.lowestStreamOrdering(tx)), 0, "0 while every ordering is positive");
        const row = { nid: nids.get("$outlier") as number, streamOrdering: -1, stateSnapshotNid: null, prevStateEventNid: null, relatesToId: null, relType: null };
        assert.equal(await db.transaction((tx) => store.promoteOutlier(tx, row)), true);
        assert.equal(await db.transaction((tx) => store.promoteOutlier(tx, { ...row, streamOrdering: -2 })), false, "only once");
        assert.equal(await db.transaction((tx) => store.lowestStreamOrdering(tx)), -1);
        const promoted = await events.getById("$outlier");
        assert.equal(promoted?.outlier, false);
        assert.equal(promoted?.streamOrdering, -1);
        assert.deepEqual(await gaps(100), ["$unknown"]);
        const page = await events.roomEventsTopological(roomNid, { depth: 100, stream: 100 }, "b", 10);
        assert.deepEqual(page.map((e) => e.eventId), ["$message", "$join", "$after-rejected", "$outlier"], "a backfilled event sits in topological order");
        assert.deepEqual((await events.roomEventsByStream(roomNid, 0, 100, 10)).map((e) => e.eventId), ["$message", "$join", "$after-rejected"], "but never in the stream sync reads");
      } finally {
        await cleanup();
      }
    });
  });
}
