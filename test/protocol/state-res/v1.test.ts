/**
 * State resolution v1 (room version 1, rooms/v1.md): the pass order (power levels, join rules,
 * members, the rest), the "ascending depth, descending sha1, stop at the first refusal" rule for auth
 * events, "highest depth, lowest sha1 that passes" for the others, and the v1 notion of a conflict.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState } from "../../../src/protocol/state-res/resolve-state.js";
import { MapSource } from "./support.js";

const v1 = getRoomVersion("1");
const v2 = getRoomVersion("2");
const ALICE = "@alice:example.com";
const BOB = "@bob:example.com";
const EVE = "@eve:example.com";
const ROOM = "!room:example.com";
const sha1 = (id: string): string => createHash("sha1").update(id, "utf8").digest("hex");

const ev = (id: string, sender: string, type: string, key: string, content: JsonObject, depth: number): RoomEvent => ({
  event_id: `$${id}:example.com`,
  room_id: ROOM,
  sender,
  type,
  state_key: key,
  content,
  origin_server_ts: depth,
  depth,
  prev_events: [],
  auth_events: [],
});
const map = (...events: RoomEvent[]): StateMap<string> => new Map(events.map((e) => [stateKey(e.type, e.state_key as string), e.event_id]));
const PL = stateKey("m.room.power_levels", "");
const JR = stateKey("m.room.join_rules", "");
const TOPIC = stateKey("m.room.topic", "");

const create = ev("create", ALICE, "m.room.create", "", { creator: ALICE }, 1);
const alice = ev("alice", ALICE, "m.room.member", ALICE, { membership: "join" }, 2);
const pl0 = ev("pl0", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 } }, 3);
const publicRules = ev("public", ALICE, "m.room.join_rules", "", { join_rule: "public" }, 4);
const bob = ev("bob", BOB, "m.room.member", BOB, { membership: "join" }, 5);
const base = [create, alice, pl0, publicRules, bob];

function resolve(sets: StateMap<string>[], events: RoomEvent[], version = v1): StateMap<string> {
  const source = new MapSource([...base, ...events]);
  const forward = resolveState(version, sets, source);
  // Whatever the order of the state sets, the same answer.
  assert.deepEqual(resolveState(version, [...sets].reverse(), source), forward);
  return forward;
}

describe("state resolution v1", () => {
  it("power levels: applies them by ascending depth while each is allowed", () => {
    const demote = ev("pl-a", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }, 6);
    const raise = ev("pl-b", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 100 } }, 7);
    const result = resolve([map(...base, demote), map(...base, raise)], [demote, raise]);
    assert.equal(result.get(PL), raise.event_id);
  });

  it("power levels: a later change its sender may no longer make loses", () => {
    // Alice demotes Bob at depth 6; Bob's own change at depth 7 is checked with Alice's applied.
    const demote = ev("pl-a", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }, 6);
    const bobs = ev("pl-b", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 40 }, 7);
    const result = resolve([map(...base, demote), map(...base, bobs)], [demote, bobs]);
    assert.equal(result.get(PL), demote.event_id);
  });

  it("power levels: the first refusal stops the pass (a later allowed event is not reached)", () => {
    const demote = ev("pl-a", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 0 } }, 6);
    const bobs = ev("pl-b", BOB, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 40 }, 7);
    const alices = ev("pl-c", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 75 } }, 8);
    const result = resolve([map(...base, demote), map(...base, bobs), map(...base, alices)], [demote, bobs, alices]);
    assert.equal(result.get(PL), demote.event_id);
  });

  it("power levels at the same depth: descending sha1 order, so the lowest sha1 ends up applied", () => {
    const a = ev("same-1", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 10 } }, 6);
    const b = ev("same-2", ALICE, "m.room.power_levels", "", { users: { [ALICE]: 100, [BOB]: 20 } }, 6);
    const lowest = sha1(a.event_id) < sha1(b.event_id) ? a : b;
    const result = resolve([map(...base, a), map(...base, b)], [a, b]);
    assert.equal(result.get(PL), lowest.event_id);
  });

  it("other keys: the highest depth that passes auth in R wins", () => {
    const t1 = ev("t1", ALICE, "m.room.topic", "", { topic: "one" }, 6);
    const t2 = ev("t2", BOB, "m.room.topic", "", { topic: "two" }, 7);
    assert.equal(resolve([map(...base, t1), map(...base, t2)], [t1, t2]).get(TOPIC), t2.event_id);
  });

  it("other keys: skips an event R does not allow, to the next depth down", () => {
    // Eve never joined: her topic at the greatest depth fails; Alice's is next.
    const t1 = ev("t1", ALICE, "m.room.topic", "", { topic: "one" }, 6);
    const t2 = ev("t2", EVE, "m.room.topic", "", { topic: "two" }, 9);
    assert.equal(resolve([map(...base, t1), map(...base, t2)], [t1, t2]).get(TOPIC), t1.event_id);
  });

  it("other keys: when none passes, keeps the lowest-depth event (as Synapse)", () => {
    const t1 = ev("t1", EVE, "m.room.topic", "", { topic: "one" }, 6);
    const t2 = ev("t2", EVE, "m.room.topic", "", { topic: "two" }, 9);
    assert.equal(resolve([map(...base, t1), map(...base, t2)], [t1, t2]).get(TOPIC), t1.event_id);
  });

  it("members are resolved against the join rules resolved before them", () => {
    const inviteOnly = ev("invite", ALICE, "m.room.join_rules", "", { join_rule: "invite" }, 6);
    const eveLeaves = ev("eve-leave", EVE, "m.room.member", EVE, { membership: "leave" }, 4);
    const eveJoins = ev("eve-join", EVE, "m.room.member", EVE, { membership: "join" }, 7);
    const result = resolve([map(...base, inviteOnly, eveLeaves), map(...base, eveJoins)], [inviteOnly, eveLeaves, eveJoins]);
    assert.equal(result.get(JR), inviteOnly.event_id);
    // Eve's join comes after her leave by depth, but R now says invite-only: the pass stops at her leave.
    assert.equal(result.get(stateKey("m.room.member", EVE)), eveLeaves.event_id);

    // With the public rules kept, her join would have been allowed.
    const publicOnly = resolve([map(...base, eveLeaves), map(...base, eveJoins)], [eveLeaves, eveJoins]);
    assert.equal(publicOnly.get(stateKey("m.room.member", EVE)), eveJoins.event_id);
  });

  it("join rules are resolved before members: a join only the resolved rules allow", () => {
    const inviteOnly = ev("invite", ALICE, "m.room.join_rules", "", { join_rule: "invite" }, 6);
    const reopened = ev("reopened", ALICE, "m.room.join_rules", "", { join_rule: "public" }, 7);
    const eveLeaves = ev("eve-leave", EVE, "m.room.member", EVE, { membership: "leave" }, 4);
    const eveJoins = ev("eve-join", EVE, "m.room.member", EVE, { membership: "join" }, 8);
    const result = resolve([map(...base, inviteOnly, eveLeaves), map(...base, reopened, eveJoins)], [inviteOnly, reopened, eveLeaves, eveJoins]);
    assert.equal(result.get(JR), reopened.event_id);
    assert.equal(result.get(stateKey("m.room.member", EVE)), eveJoins.event_id);
  });

  it("a key only some sets have is not a conflict in v1 (it is in v2)", () => {
    // Eve's topic is not allowed, but v1 keeps it unchecked since no set disagrees; v2 re-checks it.
    const topic = ev("eve-topic", EVE, "m.room.topic", "", { topic: "eve" }, 6);
    assert.equal(resolve([map(...base, topic), map(...base)], [topic]).get(TOPIC), topic.event_id);
    const withV2 = resolveState(v2, [map(...base, topic), map(...base)], new MapSource([...base, topic]));
    assert.equal(withV2.has(TOPIC), false);
  });

  it("conflicted events the source lacks are dropped; a lone survivor stands unconflicted", () => {
    const t1 = ev("t1", EVE, "m.room.topic", "", { topic: "not allowed, but alone" }, 6);
    const ghost = "$ghost:example.com";
    const withGhost = new Map(map(...base));
    withGhost.set(TOPIC, ghost);
    const result = resolve([map(...base, t1), withGhost], [t1]);
    assert.equal(result.get(TOPIC), t1.event_id);

    const bothMissing = new Map(map(...base));
    bothMissing.set(TOPIC, "$other-ghost:example.com");
    assert.equal(resolve([withGhost, bothMissing], []).has(TOPIC), false);
  });

  it("leaves unconflicted state alone", () => {
    const t1 = ev("t1", ALICE, "m.room.topic", "", { topic: "one" }, 6);
    const t2 = ev("t2", BOB, "m.room.topic", "", { topic: "two" }, 7);
    const result = resolve([map(...base, t1), map(...base, t2)], [t1, t2]);
    for (const event of base) assert.equal(result.get(stateKey(event.type, event.state_key as string)), event.event_id);
    assert.equal(result.size, base.length + 1);
  });
});
