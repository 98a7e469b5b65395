/**
 * The documented edge behaviour of v2 resolution: rejected events are never used as auth events in
 * the iterative auth checks (rooms/v2 "Rejected events"), and events missing from the source are
 * dropped from the conflict (as Synapse does) while unconflicted entries stay.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState } from "../../../src/protocol/state-res/resolve-state.js";
import { MapSource } from "./support.js";

const version = getRoomVersion("10");
const ALICE = "@alice:x.example";
const BOB = "@bob:x.example";
const TOPIC = stateKey("m.room.topic", "");
let ts = 0;
const ev = (id: string, sender: string, type: string, key: string, content: JsonObject, auth: string[]): RoomEvent => ({
  event_id: `$${id}`,
  room_id: "!room:x.example",
  sender,
  type,
  state_key: key,
  content,
  origin_server_ts: ++ts,
  prev_events: [],
  auth_events: auth.map((a) => `$${a}`),
});
const map = (...events: RoomEvent[]): StateMap<string> => new Map(events.map((e) => [stateKey(e.type, e.state_key as string), e.event_id]));

const create = ev("create", ALICE, "m.room.create", "", { creator: ALICE, room_version: "10" }, []);
const alice = ev("alice", ALICE, "m.room.member", ALICE, { membership: "join" }, ["create"]);
const plGood = ev("pl-good", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, ["create", "alice"]);
const rules = ev("rules", ALICE, "m.room.join_rules", "", { join_rule: "public" }, ["create", "alice", "pl-good"]);
const bob = ev("bob", BOB, "m.room.member", BOB, { membership: "join" }, ["create", "pl-good", "rules"]);
// Bob demoted by a power-levels event that the server rejected (say, for a bad signature).
const plBad = ev("pl-bad", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }, ["create", "alice", "pl-good"]);
const bobsTopic = ev("topic", BOB, "m.room.topic", "", { topic: "bob's" }, ["create", "pl-good", "bob"]);
const base = [create, alice, rules, bob, plBad];

describe("rejected events in the iterative auth checks", () => {
  const source = new MapSource([...base, plGood, bobsTopic]);
  const sets = [map(...base, bobsTopic), map(...base)];

  it("an accepted power-levels event in the state governs the checks", () => {
    assert.equal(resolveState(version, sets, source).has(TOPIC), false);
  });

  it("a rejected one is skipped for the event's own auth event", () => {
    const resolved = resolveState(version, sets, source, { isRejected: (id) => id === plBad.event_id });
    assert.equal(resolved.get(TOPIC), bobsTopic.event_id);
    // Step 5 still restores the unconflicted entry, rejected or not: rejection only affects auth.
    assert.equal(resolved.get(stateKey("m.room.power_levels", "")), plBad.event_id);
  });

  it("a rejected auth event is not used either", () => {
    const resolved = resolveState(version, sets, source, { isRejected: (id) => id === plBad.event_id || id === plGood.event_id });
    // Without any usable power levels, Bob (no creator) has level 0 and the topic needs 50.
    assert.equal(resolved.has(TOPIC), false);
  });
});

describe("events missing from the source", () => {
  const topicA = ev("topic-a", ALICE, "m.room.topic", "", { topic: "a" }, ["create", "pl-good", "alice"]);
  const full = [create, alice, plGood, rules, bob];

  it("a missing conflicted event is dropped and the available one stands", () => {
    const source = new MapSource([...full, topicA]);
    const ghost = new Map(map(...full));
    ghost.set(TOPIC, "$ghost");
    assert.equal(resolveState(version, [map(...full, topicA), ghost], source).get(TOPIC), topicA.event_id);
  });

  it("a key whose every event is missing is left out; unconflicted entries stay even if missing", () => {
    const source = new MapSource(full.filter((e) => e !== rules));
    const one = new Map(map(...full));
    one.set(TOPIC, "$ghost-1");
    const two = new Map(map(...full));
    two.set(TOPIC, "$ghost-2");
    const resolved = resolveState(version, [one, two], source);
    assert.equal(resolved.has(TOPIC), false);
    assert.equal(resolved.get(stateKey("m.room.join_rules", "")), rules.event_id);
  });

  it("missing auth events do not throw: the event is checked without them", () => {
    const orphan = ev("orphan", BOB, "m.room.topic", "", { topic: "orphan" }, ["create", "lost-pl", "bob"]);
    const source = new MapSource([...full, topicA, orphan]);
    const resolved = resolveState(version, [map(...full, topicA), map(...full, orphan)], source);
    // The orphan's power-levels ancestor is unknown, so it is off the mainline (position ∞) and is
    // applied first; Alice's topic, in the current power-levels epoch, is applied after it and wins.
    assert.equal(resolved.get(TOPIC), topicA.event_id);
    // Same answer with the sets swapped.
    assert.deepEqual(resolveState(version, [map(...full, orphan), map(...full, topicA)], source), resolved);
  });
});
