/**
 * The classic state-resolution scenarios of Synapse's tests/state/test_v2.py and test_v21.py, written
 * afresh: the same room histories and the same expected outcomes, driven through our resolver.
 *
 * test_v2.py builds a DAG from chains of prev_events on top of a common start (create, Alice joins,
 * power levels, public join rules, Bob, Charlie and Zara join), computes the state at each event
 * (auth_events picked from the state before it, as a server building the event would), and checks
 * the state at END, listing only the keys that changed since START.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authEventKeys } from "../../../src/protocol/auth/auth-event-selection.js";
import { stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { getRoomVersion, type RoomVersion } from "../../../src/protocol/room-versions.js";
import { authDifference } from "../../../src/protocol/state-res/auth-difference.js";
import { splitConflicts } from "../../../src/protocol/state-res/conflict-split.js";
import { conflictedSubgraph } from "../../../src/protocol/state-res/conflicted-subgraph.js";
import { EventGraph } from "../../../src/protocol/state-res/event-graph.js";
import { resolveState } from "../../../src/protocol/state-res/resolve-state.js";
import { MapSource } from "./support.js";

const ALICE = "@alice:example.com";
const BOB = "@bob:example.com";
const CHARLIE = "@charlie:example.com";
const EVELYN = "@evelyn:example.com";
const ZARA = "@zara:example.com";
const ROOM = "!test:example.com";

interface Node {
  id: string;
  sender: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
}

const join = { membership: "join" };
const node = (id: string, sender: string, type: string, stateKey: string | undefined, content: JsonObject): Node => ({
  id,
  sender,
  type,
  ...(stateKey !== undefined ? { stateKey } : {}),
  content,
});

const INITIAL: Node[] = [
  node("CREATE", ALICE, "m.room.create", "", { creator: ALICE }),
  node("IMA", ALICE, "m.room.member", ALICE, join),
  node("IPOWER", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100 } }),
  node("IJR", ALICE, "m.room.join_rules", "", { join_rule: "public" }),
  node("IMB", BOB, "m.room.member", BOB, join),
  node("IMC", CHARLIE, "m.room.member", CHARLIE, join),
  node("IMZ", ZARA, "m.room.member", ZARA, join),
  node("START", ZARA, "m.room.message", undefined, {}),
  node("END", ZARA, "m.room.message", undefined, {}),
];
const INITIAL_EDGES = ["START", "IMZ", "IMC", "IMB", "IJR", "IPOWER", "IMA", "CREATE"];

const eventId = (id: string): string => `$${id}:example.com`;

/** The state at END minus the keys unchanged since START (those the expectation does not list). */
function stateAtEnd(version: RoomVersion, extra: Node[], chains: string[][], expectedNodes: string[]): { actual: StateMap<string>; expected: StateMap<string> } {
  const nodes = new Map([...INITIAL, ...extra].map((n) => [n.id, n]));
  const prevs = new Map<string, Set<string>>([...nodes.keys()].map((id) => [id, new Set<string>()]));
  for (const chain of [INITIAL_EDGES, ...chains]) {
    for (let i = 0; i + 1 < chain.length; i++) prevs.get(chain[i] as string)?.add(chain[i + 1] as string);
  }

  const source = new MapSource();
  const after = new Map<string, StateMap<string>>();
  let ts = 0;
  // Topological order, ties broken by node name, as Synapse's harness does.
  const done = new Set<string>();
  while (done.size < nodes.size) {
    const ready = [...nodes.keys()].filter((id) => !done.has(id) && [...(prevs.get(id) ?? [])].every((p) => done.has(p))).sort();
    const id = ready[0] as string;
    done.add(id);
    const n = nodes.get(id) as Node;
    const prevIds = [...(prevs.get(id) ?? [])];
    const before = resolveState(version, prevIds.map((p) => after.get(p) as StateMap<string>), source);
    const authEvents = authEventKeys(version, { type: n.type, sender: n.sender, content: n.content, ...(n.stateKey !== undefined ? { state_key: n.stateKey } : {}) })
      .map(([type, key]) => before.get(stateKey(type, key)))
      .filter((x): x is string => x !== undefined);
    const event: RoomEvent = {
      event_id: eventId(id),
      room_id: ROOM,
      type: n.type,
      sender: n.sender,
      content: n.content,
      origin_server_ts: ts++,
      prev_events: prevIds.map(eventId),
      auth_events: authEvents,
      ...(n.stateKey !== undefined ? { state_key: n.stateKey } : {}),
    };
    source.add(event);
    const state = new Map(before);
    if (n.stateKey !== undefined) state.set(stateKey(n.type, n.stateKey), event.event_id);
    after.set(id, state);
  }

  const expected = new Map(expectedNodes.map((id) => {
    const n = nodes.get(id) as Node;
    return [stateKey(n.type, n.stateKey as string), eventId(id)] as [string, string];
  }));
  const start = after.get("START") as StateMap<string>;
  const actual = new Map([...(after.get("END") as StateMap<string>)].filter(([key, value]) => expected.has(key) || start.get(key) !== value));
  return { actual, expected };
}

// Synapse runs these with room version 2; the outcome must not change in later versions before 12.
for (const versionId of ["2", "6", "10", "11"]) {
  const version = getRoomVersion(versionId);
  const check = (extra: Node[], chains: string[][], expectedNodes: string[]): void => {
    const { actual, expected } = stateAtEnd(version, extra, chains, expectedNodes);
    assert.deepEqual(actual, expected);
  };

  describe(`Synapse test_v2 scenarios (room version ${versionId})`, () => {
    it("ban vs power levels: Alice's ban of Bob beats Bob's concurrent power levels", () => {
      check(
        [
          node("PA", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("MA", ALICE, "m.room.member", ALICE, join),
          node("MB", ALICE, "m.room.member", BOB, { membership: "ban" }),
          node("PB", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
        ],
        [["END", "MB", "MA", "PA", "START"], ["END", "PB", "PA"]],
        ["PA", "MA", "MB"],
      );
    });

    it("join rule evasion: a join concurrent with a join-rules change to private is not admitted", () => {
      check(
        [
          node("JR", ALICE, "m.room.join_rules", "", { join_rules: "private" }),
          node("ME", EVELYN, "m.room.member", EVELYN, join),
        ],
        [["END", "JR", "START"], ["END", "ME", "START"]],
        ["JR"],
      );
    });

    it("offtopic power levels: a chain of power-level changes wins over its own ancestor", () => {
      check(
        [
          node("PA", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("PB", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }),
          node("PC", CHARLIE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 } }),
        ],
        [["END", "PC", "PB", "PA", "START"], ["END", "PA"]],
        ["PC"],
      );
    });

    it("topic basic: Alice's demotion of Bob voids his topic", () => {
      check(
        [
          node("T1", ALICE, "m.room.topic", "", {}),
          node("PA1", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T2", ALICE, "m.room.topic", "", {}),
          node("PA2", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }),
          node("PB", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T3", BOB, "m.room.topic", "", {}),
        ],
        [["END", "PA2", "T2", "PA1", "T1", "START"], ["END", "T3", "PB", "PA1"]],
        ["PA2", "T2"],
      );
    });

    it("topic reset: a topic from a banned user does not replace the older topic", () => {
      check(
        [
          node("T1", ALICE, "m.room.topic", "", {}),
          node("PA", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T2", BOB, "m.room.topic", "", {}),
          node("MB", ALICE, "m.room.member", BOB, { membership: "ban" }),
        ],
        [["END", "MB", "T2", "PA", "T1", "START"], ["END", "T1"]],
        ["T1", "MB", "PA"],
      );
    });

    it("topic: a later topic from Alice wins after Bob's demotion", () => {
      check(
        [
          node("T1", ALICE, "m.room.topic", "", {}),
          node("PA1", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T2", ALICE, "m.room.topic", "", {}),
          node("PA2", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }),
          node("PB", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T3", BOB, "m.room.topic", "", {}),
          node("MZ1", ZARA, "m.room.message", undefined, {}),
          node("T4", ALICE, "m.room.topic", "", {}),
        ],
        [["END", "T4", "MZ1", "PA2", "T2", "PA1", "T1", "START"], ["END", "MZ1", "T3", "PB", "PA1"]],
        ["T4", "PA2"],
      );
    });

    it("mainline sort: the topic in the newest power-levels epoch wins, not the latest timestamp", () => {
      check(
        [
          node("T1", ALICE, "m.room.topic", "", {}),
          node("PA1", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T2", ALICE, "m.room.topic", "", {}),
          node("PA2", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 }, events: { "m.room.power_levels": 100 } }),
          node("PB", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }),
          node("T3", BOB, "m.room.topic", "", {}),
          node("T4", ALICE, "m.room.topic", "", {}),
        ],
        [["END", "T3", "PA2", "T2", "PA1", "T1", "START"], ["END", "T4", "PB", "PA1"]],
        ["T3", "PA2"],
      );
    });
  });
}

describe("Synapse test_v2 SimpleParamStateTestCase", () => {
  it("concurrent joins of Bob and Charlie both end up in the state", () => {
    const version = getRoomVersion("2");
    const ev = (id: string, sender: string, type: string, key: string, content: JsonObject, auth: string[], ts: number): RoomEvent => ({
      event_id: eventId(id), room_id: ROOM, sender, type, state_key: key, content, origin_server_ts: ts, prev_events: [], auth_events: auth.map(eventId),
    });
    const create = ev("CREATE", ALICE, "m.room.create", "", { creator: ALICE }, [], 0);
    const alice = ev("IMA", ALICE, "m.room.member", ALICE, join, ["CREATE"], 1);
    const rules = ev("IJR", ALICE, "m.room.join_rules", "", { join_rule: "public" }, ["CREATE", "IMA"], 2);
    const bob = ev("IMB", BOB, "m.room.member", BOB, join, ["CREATE", "IJR"], 3);
    const charlie = ev("IMC", CHARLIE, "m.room.member", CHARLIE, join, ["CREATE", "IJR"], 4);
    const map = (...events: RoomEvent[]): StateMap<string> => new Map(events.map((e) => [stateKey(e.type, e.state_key as string), e.event_id]));
    const source = new MapSource([create, alice, rules, bob, charlie]);
    const resolved = resolveState(version, [map(create, alice, rules, bob), map(create, alice, rules, charlie)], source);
    assert.deepEqual(resolved, map(create, alice, rules, bob, charlie));
  });
});

/** test_v21.py: room version 12 histories in which v2 resets state and v2.1 does not. */
describe("Synapse test_v21 scenarios (room version 12)", () => {
  const v12 = getRoomVersion("12");
  const v11 = getRoomVersion("11");
  const CREATE_ID = "$create-reference-hash";
  const ROOM12 = "!create-reference-hash";
  let ts = 0;
  const ev = (id: string, sender: string, type: string, key: string, content: JsonObject, auth: string[]): RoomEvent => ({
    event_id: id === "create" ? CREATE_ID : `$${id}`,
    room_id: ROOM12,
    sender,
    type,
    state_key: key,
    content,
    origin_server_ts: ++ts,
    prev_events: [],
    auth_events: auth.map((a) => `$${a}`),
  });
  const map = (...events: RoomEvent[]): StateMap<string> => new Map(events.map((e) => [stateKey(e.type, e.state_key as string), e.event_id]));
  const leave = { membership: "leave" };

  it("replaying the conflicted subgraph: Eve's rename citing old power levels cannot reset them", () => {
    const create = ev("create", ALICE, "m.room.create", "", { room_version: "12" }, []);
    const ma = ev("ma", ALICE, "m.room.member", ALICE, join, []);
    const power1 = ev("power1", ALICE, "m.room.power_levels", "", { users: {} }, ["ma"]);
    const jr = ev("jr", ALICE, "m.room.join_rules", "", { join_rule: "public" }, ["ma", "power1"]);
    const mb = ev("mb", BOB, "m.room.member", BOB, join, ["power1", "jr"]);
    const mc = ev("mc", CHARLIE, "m.room.member", CHARLIE, join, ["power1", "jr"]);
    const power2 = ev("power2", ALICE, "m.room.power_levels", "", { users: { [BOB]: 50 } }, ["ma", "power1"]);
    const power3 = ev("power3", BOB, "m.room.power_levels", "", { users: { [BOB]: 50, [CHARLIE]: 50 } }, ["mb", "power2"]);
    const me1 = ev("me1", EVELYN, "m.room.member", EVELYN, join, ["power3", "jr"]);
    const me2 = ev("me2", EVELYN, "m.room.member", EVELYN, join, ["power1", "jr", "me1"]);
    const mz = ev("mz", ZARA, "m.room.member", ZARA, join, ["power3", "jr"]);
    const source = new MapSource([create, ma, power1, jr, mb, mc, power2, power3, me1, me2, mz]);

    const dodgy = map(create, ma, mb, mc, me2, power1, jr);
    const sensible = map(create, ma, mb, mc, mz, power3, jr);
    const expected = map(create, ma, mb, mc, me1, mz, power3, jr);
    assert.deepEqual(resolveState(v12, [dodgy, sensible], source), expected);
    assert.deepEqual(resolveState(v12, [sensible, dodgy], source), expected);
    // As Synapse checks: the create event is never in the auth difference or the conflicted subgraph
    // (it would mean the subgraph reaches too far back), and the subgraph does replay power3/power2.
    const graph = new EventGraph(v12, source);
    const split = splitConflicts([dodgy, sensible], "missing-is-conflict");
    const conflictedIds = new Set([...split.conflicted.values()].flatMap((ids) => [...ids]));
    const subgraph = conflictedSubgraph(graph, conflictedIds);
    assert.equal(authDifference(graph, [dodgy, sensible], split).has(CREATE_ID), false);
    assert.equal(subgraph.has(CREATE_ID), false);
    assert.ok(subgraph.has(power3.event_id) && subgraph.has(power2.event_id) && subgraph.has(me1.event_id));
  });

  it("starting from the empty state: conflicted join rules do not reset to the older ones", () => {
    const create = ev("create", ALICE, "m.room.create", "", { room_version: "12" }, []);
    const ma1 = ev("ma1", ALICE, "m.room.member", ALICE, join, []);
    const power = ev("power", ALICE, "m.room.power_levels", "", { users: { [BOB]: 100 } }, ["ma1"]);
    const jr1 = ev("jr1", ALICE, "m.room.join_rules", "", { join_rule: "public" }, ["ma1", "power"]);
    const mb = ev("mb", BOB, "m.room.member", BOB, join, ["power", "jr1"]);
    const jr2 = ev("jr2", ALICE, "m.room.join_rules", "", { join_rule: "invite" }, ["ma1", "power"]);
    const ma2 = ev("ma2", ALICE, "m.room.member", ALICE, leave, ["power", "ma1"]);
    const source = new MapSource([create, ma1, power, jr1, mb, jr2, ma2]);

    const correct = map(create, ma2, mb, power, jr2);
    const incorrect = map(create, ma2, mb, power, jr1);
    assert.deepEqual(resolveState(v12, [correct, incorrect], source), correct);
    assert.deepEqual(resolveState(v12, [incorrect, correct], source), correct);
    // Under v2 Alice has left in the unconflicted state, so neither join-rules event passes: reset.
    assert.equal(resolveState(v11, [correct, incorrect], source).has(stateKey("m.room.join_rules", "")), false);
  });
});
