import assert from "node:assert/strict";
import { test } from "node:test";
import { isPowerEvent } from "../../../src/protocol/auth/power-events.js";
import { ALICE, BOB, Room } from "./room-builder.js";

test("power events: power levels, join rules, create, kicks and bans", () => {
  const r = new Room("10");
  assert.equal(isPowerEvent(r.powerLevels({})), true);
  assert.equal(isPowerEvent(r.joinRules("public")), true);
  assert.equal(isPowerEvent(r.create), true);
  assert.equal(isPowerEvent(r.member(BOB, "leave", {}, ALICE)), true, "kick");
  assert.equal(isPowerEvent(r.member(BOB, "ban", {}, ALICE)), true, "ban");
});

test("not power events: own leaves, joins, invites, other state, messages, odd state keys", () => {
  const r = new Room("10");
  assert.equal(isPowerEvent(r.member(BOB, "leave")), false, "own leave");
  assert.equal(isPowerEvent(r.member(BOB, "ban")), false, "self-ban is not a power event by the definition");
  assert.equal(isPowerEvent(r.member(BOB, "join")), false);
  assert.equal(isPowerEvent(r.member(BOB, "invite", {}, ALICE)), false);
  assert.equal(isPowerEvent(r.state("m.room.name", ALICE, { name: "x" })), false);
  assert.equal(isPowerEvent(r.message(ALICE)), false);
  assert.equal(isPowerEvent(r.state("m.room.power_levels", ALICE, {}, "x")), false, "non-empty state key");
  assert.equal(isPowerEvent(r.raw("m.room.power_levels", ALICE, {})), false, "not a state event");
});
