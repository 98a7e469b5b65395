/**
 * The building blocks of state resolution against their definitions, computed the slow obvious way on
 * random auth DAGs: the conflict split, the auth difference (∪C_i − ∩C_i over full auth chains), the
 * conflicted state subgraph (all events on a path between two conflicted events), and the two orderings.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { authDifference } from "../../../src/protocol/state-res/auth-difference.js";
import { splitConflicts } from "../../../src/protocol/state-res/conflict-split.js";
import { conflictedSubgraph } from "../../../src/protocol/state-res/conflicted-subgraph.js";
import { EventGraph } from "../../../src/protocol/state-res/event-graph.js";
import { mainlineOrder } from "../../../src/protocol/state-res/mainline-ordering.js";
import { sortPowerEvents } from "../../../src/protocol/state-res/power-ordering.js";
import { MapSource, naiveAuthChainIndex } from "./support.js";

const v11 = getRoomVersion("11");

/** A random DAG: event i cites a random subset of events before it; every event has its own key. */
const dagArb = fc
  .integer({ min: 2, max: 24 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.array(fc.nat(n - 1), { maxLength: 3 }), { minLength: n, maxLength: n }),
      fc.array(fc.array(fc.nat(n - 1), { maxLength: 8 }), { minLength: 2, maxLength: 4 }),
    ),
  )
  .map(([n, parents, setPicks]) => {
    const events = Array.from({ length: n }, (_, i): RoomEvent => ({
      event_id: `$${i}`,
      room_id: "!r:x",
      type: "t",
      state_key: `${i % 5}`,
      sender: "@u:x",
      content: {},
      origin_server_ts: 0,
      prev_events: [],
      auth_events: [...new Set((parents[i] ?? []).filter((p) => p < i))].map((p) => `$${p}`),
    }));
    // State sets: random events, keyed by their own (type, state_key); later picks win a key.
    const sets = setPicks.map((picks) => {
      const set: StateMap<string> = new Map();
      for (const p of picks) set.set(stateKey("t", `${p % 5}`), `$${p}`);
      return set;
    });
    return { events, sets };
  });

function fullChain(source: MapSource, id: string, out = new Set<string>()): Set<string> {
  for (const parent of source.events.get(id)?.auth_events ?? []) {
    if (!out.has(parent)) {
      out.add(parent);
      fullChain(source, parent, out);
    }
  }
  return out;
}

describe("conflict split", () => {
  const a = new Map([["k1", "$a"], ["k2", "$b"]]);
  const b = new Map([["k1", "$a"], ["k2", "$c"], ["k3", "$d"]]);

  it("v2: a key missing from one set is conflicted", () => {
    const { unconflicted, conflicted } = splitConflicts([a, b], "missing-is-conflict");
    assert.deepEqual(unconflicted, new Map([["k1", "$a"]]));
    assert.deepEqual(conflicted, new Map([["k2", new Set(["$b", "$c"])], ["k3", new Set(["$d"])]]));
  });

  it("v1: a key missing from one set is not a conflict", () => {
    const { unconflicted, conflicted } = splitConflicts([a, b], "missing-is-agreement");
    assert.deepEqual(unconflicted, new Map([["k1", "$a"], ["k3", "$d"]]));
    assert.deepEqual(conflicted, new Map([["k2", new Set(["$b", "$c"])]]));
  });
});

describe("auth difference", () => {
  it("equals ∪C_i − ∩C_i of the full auth chains, walked or indexed", () => {
    fc.assert(
      fc.property(dagArb, ({ events, sets }) => {
        const source = new MapSource(events);
        const chains = sets.map((set) => {
          const chain = new Set<string>();
          for (const id of set.values()) for (const x of fullChain(source, id)) chain.add(x);
          return chain;
        });
        const expected = new Set([...new Set(chains.flatMap((c) => [...c]))].filter((id) => !chains.every((c) => c.has(id))));
        const split = splitConflicts(sets, "missing-is-conflict");
        assert.deepEqual(authDifference(new EventGraph(v11, source), sets, split), expected);
        assert.deepEqual(authDifference(new EventGraph(v11, source, naiveAuthChainIndex(v11, source)), sets, split), expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("conflicted state subgraph", () => {
  it("is every event on an auth path between two conflicted events, endpoints included", () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(23), { minLength: 1, maxLength: 6 }), ({ events }, picks) => {
        const source = new MapSource(events);
        const conflicted = new Set(picks.filter((p) => p < events.length).map((p) => `$${p}`));
        const reaches = (from: string, to: string): boolean => from === to || fullChain(source, from).has(to);
        const expected = new Set(
          events
            .map((e) => e.event_id)
            .filter((x) => [...conflicted].some((c1) => [...conflicted].some((c2) => c1 !== c2 && reaches(c1, x) && reaches(x, c2)))),
        );
        assert.deepEqual(conflictedSubgraph(new EventGraph(v11, source), conflicted), expected);
      }),
      { numRuns: 300 },
    );
  });

  it("follows room version 12's implicit create event", () => {
    const v12 = getRoomVersion("12");
    const create: RoomEvent = { event_id: "$c", room_id: "!c", type: "m.room.create", state_key: "", sender: "@a:x", content: {}, origin_server_ts: 0, prev_events: [], auth_events: [] };
    const member: RoomEvent = { ...create, event_id: "$m", type: "m.room.member", state_key: "@a:x", auth_events: [] };
    const graph = new EventGraph(v12, new MapSource([create, member]));
    assert.deepEqual(conflictedSubgraph(graph, new Set(["$c", "$m"])), new Set(["$c", "$m"]));
    assert.deepEqual(graph.authChain("$m"), new Set(["$c"]));
  });
});

describe("orderings", () => {
  const version = getRoomVersion("10");
  const ALICE = "@alice:x";
  const BOB = "@bob:x";
  const ev = (id: string, sender: string, type: string, key: string, content: RoomEvent["content"], auth: string[], ts: number): RoomEvent => ({
    event_id: id, room_id: "!r:x", sender, type, state_key: key, content, origin_server_ts: ts, prev_events: [], auth_events: auth,
  });
  const create = ev("$create", ALICE, "m.room.create", "", { creator: ALICE }, [], 0);
  const p1 = ev("$p1", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, ["$create"], 1);
  const p2 = ev("$p2", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, ["$create", "$p1"], 2);
  const p3 = ev("$p3", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, ["$create", "$p2"], 3);

  it("power ordering: auth ancestors first, then higher sender power, then timestamp, then event ID", () => {
    const byBob = ev("$a-bob", BOB, "m.room.join_rules", "", {}, ["$create", "$p1"], 5);
    const byAlice = ev("$z-alice", ALICE, "m.room.join_rules", "", {}, ["$create", "$p1"], 9);
    const tieA = ev("$tie-b", ALICE, "m.room.join_rules", "", {}, ["$create", "$p1"], 9);
    const events = [p1, byBob, byAlice, tieA];
    const graph = new EventGraph(version, new MapSource([create, ...events]));
    const { sorted } = sortPowerEvents(graph, [byBob, byAlice, tieA], new Map(events.map((e) => [e.event_id, e])));
    // p1 is an auth ancestor in the set; Alice (100) before Bob (50) despite the timestamps;
    // equal power and timestamp fall back to the event ID.
    assert.deepEqual(sorted.map((e) => e.event_id), ["$p1", "$tie-b", "$z-alice", "$a-bob"]);
  });

  it("mainline ordering: older power-levels epochs first, events off the mainline before all", () => {
    const graph = new EventGraph(version, new MapSource([create, p1, p2, p3]));
    const atP3 = ev("$t-p3", ALICE, "m.room.topic", "", {}, ["$create", "$p3"], 1);
    const atP1 = ev("$t-p1", ALICE, "m.room.topic", "", {}, ["$create", "$p1"], 100);
    const atP1Early = ev("$t-p1-early", ALICE, "m.room.topic", "", {}, ["$create", "$p1"], 50);
    const noPl = ev("$t-none", ALICE, "m.room.topic", "", {}, ["$create"], 1000);
    const sorted = mainlineOrder(graph, [atP3, atP1, noPl, atP1Early], "$p3");
    assert.deepEqual(sorted.map((e) => e.event_id), ["$t-none", "$t-p1-early", "$t-p1", "$t-p3"]);
    // Based on p2, an event citing p3 (not on p2's mainline) walks down to p2: same epoch as p2's.
    const fromP2 = mainlineOrder(graph, [atP3, atP1], "$p2");
    assert.deepEqual(fromP2.map((e) => e.event_id), ["$t-p1", "$t-p3"]);
  });
});
