/**
 * The log of recent push actions (services/push/recent-push-actions.ts) that woken long-polls add to
 * their kept unread counts from: what it answers must be what storage would count, and where it cannot
 * know (before its coverage, across a redaction or the user's own event, after it dropped a room to
 * bound its memory) it must say so. The counts end to end: test/client/unread-counts-kept.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RecentPushActions, type LoggedEvent } from "../../src/services/push/recent-push-actions.js";

const ALICE = "@alice:hs";
const BOB = "@bob:hs";

function event(position: number, notified: Record<string, boolean>, extra: Partial<LoggedEvent> = {}): LoggedEvent {
  return { position, sender: BOB, threadId: "main", redaction: false, notified: new Map(Object.entries(notified)), ...extra };
}

describe("RecentPushActions", () => {
  it("adds the user's notifications and highlights in the range, per thread, after their read positions", () => {
    const log = new RecentPushActions(100);
    log.record(1, event(101, { [ALICE]: false }));
    log.record(1, event(102, { [ALICE]: true }));
    log.record(1, event(103, { [ALICE]: false }, { threadId: "$root" }));
    log.record(1, event(104, { "@carol:hs": false }));
    log.record(2, event(105, { [ALICE]: false }));
    assert.deepEqual(log.since(1, ALICE, 100, 105, []), [
      { threadId: "main", notifications: 2, highlights: 1 },
      { threadId: "$root", notifications: 1, highlights: 0 },
    ]);
    assert.deepEqual(log.since(1, ALICE, 101, 102, []), [{ threadId: "main", notifications: 1, highlights: 1 }], "only (after, upTo]");
    assert.deepEqual(log.since(1, "@carol:hs", 103, 105, []), [{ threadId: "main", notifications: 1, highlights: 0 }]);
    // Read positions ahead of the range's start (another device read further): storage leaves those out too.
    assert.deepEqual(log.since(1, ALICE, 100, 105, [{ threadId: "", pos: 101 }]), [
      { threadId: "main", notifications: 1, highlights: 1 },
      { threadId: "$root", notifications: 1, highlights: 0 },
    ]);
    assert.deepEqual(log.since(1, ALICE, 100, 105, [{ threadId: "$root", pos: 103 }]), [{ threadId: "main", notifications: 2, highlights: 1 }]);
    assert.deepEqual(log.since(1, ALICE, 105, 105, []), [], "an empty range adds nothing");
  });

  it("cannot tell before its coverage, across a redaction or across the user's own event", () => {
    const log = new RecentPushActions(100);
    log.record(1, event(101, { [ALICE]: false }));
    log.record(1, event(102, {}, { redaction: true }));
    log.record(1, event(103, { [ALICE]: false }));
    log.record(1, event(104, {}, { sender: ALICE }));
    log.record(1, event(105, { [ALICE]: false }));
    assert.equal(log.since(1, ALICE, 99, 101, []), undefined, "position 100 came before the log");
    assert.equal(log.since(1, ALICE, 100, 103, []), undefined, "a redaction may have removed entries counted before");
    assert.equal(log.since(1, ALICE, 102, 104, []), undefined, "the user's own event moves their read position");
    assert.deepEqual(log.since(1, ALICE, 104, 105, []), [{ threadId: "main", notifications: 1, highlights: 0 }]);
    assert.deepEqual(log.since(1, "@carol:hs", 102, 105, []), [], "the redaction is outside this range, and nothing notified Carol");
    assert.equal(log.since(1, BOB, 102, 105, []), undefined, "Bob sent events in the range");
  });

  it("knows a room without events since it started has none, and ignores history stored below its coverage", () => {
    const log = new RecentPushActions(100);
    assert.deepEqual(log.since(7, ALICE, 100, 200, []), []);
    assert.equal(log.since(7, ALICE, 50, 200, []), undefined);
    // Backfilled history is stored below every live position: never in any range the log answers.
    log.record(7, event(-3, { [ALICE]: false }));
    assert.deepEqual(log.since(7, ALICE, 100, 200, []), []);
    // Recorded out of order (two transactions of a room committing in turn), kept in order.
    log.record(7, event(103, { [ALICE]: false }));
    log.record(7, event(102, { [ALICE]: true }));
    assert.deepEqual(log.since(7, ALICE, 101, 102, []), [{ threadId: "main", notifications: 1, highlights: 1 }]);
    assert.deepEqual(log.since(7, ALICE, 102, 103, []), [{ threadId: "main", notifications: 1, highlights: 0 }]);
  });

  it("keeps a room's newest events and bounds what it holds in all, covering less afterwards", () => {
    const log = new RecentPushActions(0, 1_000);
    for (let p = 1; p <= 300; p++) log.record(1, event(p, { [ALICE]: false }));
    assert.equal(log.since(1, ALICE, 10, 300, []), undefined, "the oldest events of a busy room were let go");
    assert.deepEqual(log.since(1, ALICE, 290, 300, []), [{ threadId: "main", notifications: 10, highlights: 0 }]);

    // 300 more events in other rooms, each notifying two users: over the budget, room 1 (least recently written) goes.
    for (let p = 301; p <= 600; p++) log.record(2 + (p % 3), event(p, { [ALICE]: false, "@carol:hs": false }));
    assert.equal(log.since(1, ALICE, 290, 600, []), undefined, "room 1 was dropped");
    assert.equal(log.since(9, ALICE, 200, 600, []), undefined, "a room never seen is covered only after what was dropped");
    assert.deepEqual(log.since(9, ALICE, 300, 600, []), []);
    // A log started again for room 1 covers only what comes after what it dropped.
    log.record(1, event(601, { [ALICE]: false }));
    assert.equal(log.since(1, ALICE, 290, 601, []), undefined);
    assert.deepEqual(log.since(1, ALICE, 600, 601, []), [{ threadId: "main", notifications: 1, highlights: 0 }]);
    assert.deepEqual(log.since(4, ALICE, 590, 600, []), [{ threadId: "main", notifications: 3, highlights: 0 }], "a recent room is still answered");
  });

  it("moves a user's read version with each of their read receipts", () => {
    const log = new RecentPushActions(0);
    assert.equal(log.readVersion(ALICE), 0);
    log.readMoved(ALICE);
    log.readMoved(ALICE);
    assert.equal(log.readVersion(ALICE), 2);
    assert.equal(log.readVersion(BOB), 0);
  });
});
