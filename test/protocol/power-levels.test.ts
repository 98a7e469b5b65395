import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authStateFromEvents } from "../../src/protocol/auth/auth-state.js";
import {
  isRoomCreator,
  notificationPowerLevel,
  parsePowerLevelValue,
  readPowerLevels,
  requiredPowerToSend,
  roomCreators,
  userPowerLevel,
} from "../../src/protocol/power-levels.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, Room } from "./auth/room-builder.js";

const FLOATY = ["1", "2", "3", "4", "5"]; // no strict canonical JSON: floats and big integers occur
const STRINGY = ["6", "7", "8", "9"]; // strings still accepted, floats impossible
const INTEGER = ["10", "11", "12"]; // JSON integers only

/** value, then the expected result for v1–5, v6–9, v10+. */
const PARSE_CASES: Array<[string, unknown, number | undefined, number | undefined, number | undefined]> = [
  ["integer", 50, 50, 50, 50],
  ["negative integer", -20, -20, -20, -20],
  ["largest canonical integer", 2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1],
  ["integer beyond canonical range", 2 ** 60, 2 ** 60, undefined, undefined],
  ["big integer (bigint from the parser)", 2n ** 60n, 2 ** 60, undefined, undefined],
  ["big integer beyond the double range", 10n ** 400n, undefined, undefined, undefined],
  ["string", "50", 50, 50, undefined],
  ["leading space", " 50", 50, 50, undefined],
  ["surrounding spaces and zeroes", " 00100 ", 100, 100, undefined],
  ["plus sign", "+50", 50, 50, undefined],
  ["minus sign", "-50", -50, -50, undefined],
  ["spaces around a sign", " +100 ", 100, 100, undefined],
  // Python's str.isspace() set (what Synapse's int() strips): NBSP, em space, U+001C, newline…
  ["Unicode spaces Python strips", "\u00a050\u2003\n", 50, 50, undefined],
  ["U+001C, a Python space that JavaScript's \\s lacks", "\u001c50", 50, 50, undefined],
  ["U+FEFF, a JavaScript space that Python does not strip", "\ufeff50", undefined, undefined, undefined],
  ["exponent", "5e1", undefined, undefined, undefined],
  ["decimal point", "50.0", undefined, undefined, undefined],
  ["hex", "0x10", undefined, undefined, undefined],
  // Python's int() takes these; the spec's grammar (ASCII digits only) does not.
  ["underscore separator (Synapse would take it)", "1_000", undefined, undefined, undefined],
  ["Arabic-Indic digits (Synapse would take them)", "\u0665\u0660", undefined, undefined, undefined],
  ["letters", "abc", undefined, undefined, undefined],
  ["empty string", "", undefined, undefined, undefined],
  ["space only", " ", undefined, undefined, undefined],
  ["two signs", "+-5", undefined, undefined, undefined],
  ["space inside the number", "5 0", undefined, undefined, undefined],
  ["huge string (beyond the double range)", "9".repeat(400), undefined, undefined, undefined],
  ["float", 50.7, 50, undefined, undefined],
  ["negative float truncates toward zero", -50.7, -50, undefined, undefined],
  ["exponential float (spec example 5.114698E4)", 5.114698e4, 51146, undefined, undefined],
  ["Infinity", Infinity, undefined, undefined, undefined],
  ["NaN", NaN, undefined, undefined, undefined],
  ["boolean (Synapse's int(True) is 1; the spec lists no booleans)", true, undefined, undefined, undefined],
  ["null", null, undefined, undefined, undefined],
  ["object", {}, undefined, undefined, undefined],
  ["array", [50], undefined, undefined, undefined],
];

describe("parsePowerLevelValue", () => {
  for (const [name, value, floaty, stringy, integer] of PARSE_CASES) {
    test(name, () => {
      for (const [ids, expected] of [[FLOATY, floaty], [STRINGY, stringy], [INTEGER, integer]] as const) {
        for (const id of ids) {
          assert.equal(parsePowerLevelValue(getRoomVersion(id), value), expected, `v${id}`);
        }
      }
    });
  }

  test("a string integer past 2^53 keeps the nearest double (Synapse keeps it exact; only equality could differ)", () => {
    assert.equal(parsePowerLevelValue(getRoomVersion("9"), "9007199254740993"), 9007199254740992);
  });

  test("negative zero reads as zero", () => {
    assert.ok(Object.is(parsePowerLevelValue(getRoomVersion("10"), -0), 0));
    assert.ok(Object.is(parsePowerLevelValue(getRoomVersion("9"), "-0"), 0));
    assert.ok(Object.is(parsePowerLevelValue(getRoomVersion("1"), -0.5), 0));
  });
});

describe("readPowerLevels", () => {
  test("defaults with no power levels event", () => {
    const levels = readPowerLevels(getRoomVersion("10"), undefined);
    assert.deepEqual(
      [levels.ban, levels.kick, levels.invite, levels.redact, levels.eventsDefault, levels.stateDefault, levels.usersDefault],
      [50, 50, 0, 50, 0, 50, 0],
    );
    assert.equal(notificationPowerLevel(levels, "room"), 50);
  });

  test("values, maps and invalid entries", () => {
    const content = { ban: "20", kick: 5, events: { "m.room.name": "70", bad: "x" }, users: { [BOB]: " 7 " }, notifications: { room: 10 } };
    const v9 = readPowerLevels(getRoomVersion("9"), content);
    assert.equal(v9.ban, 20);
    assert.equal(v9.kick, 5);
    assert.equal(v9.events.get("m.room.name"), 70);
    assert.equal(v9.events.has("bad"), false);
    assert.equal(v9.users.get(BOB), 7);
    assert.equal(notificationPowerLevel(v9, "room"), 10);
    const v10 = readPowerLevels(getRoomVersion("10"), content);
    assert.equal(v10.ban, 50, "invalid in v10: the default");
    assert.equal(v10.users.has(BOB), false);
  });

  test("requiredPowerToSend: events entry, else state_default or events_default", () => {
    const levels = readPowerLevels(getRoomVersion("10"), { state_default: 40, events_default: 10, events: { "m.room.name": 70, "m.reaction": 0 } });
    assert.equal(requiredPowerToSend(levels, "m.room.name", true), 70);
    assert.equal(requiredPowerToSend(levels, "m.room.name", false), 70);
    assert.equal(requiredPowerToSend(levels, "m.room.topic", true), 40);
    assert.equal(requiredPowerToSend(levels, "m.room.message", false), 10);
    assert.equal(requiredPowerToSend(levels, "m.reaction", false), 0);
  });

  test("is cached per content object and version", () => {
    const content = { ban: 1 };
    assert.equal(readPowerLevels(getRoomVersion("10"), content), readPowerLevels(getRoomVersion("10"), content));
    assert.notEqual(readPowerLevels(getRoomVersion("10"), content), readPowerLevels(getRoomVersion("9"), content));
  });
});

describe("userPowerLevel", () => {
  test("no power levels event: the creator 100 (v12: infinite), others 0", () => {
    for (const id of ALL_VERSIONS) {
      const r = new Room(id);
      const state = authStateFromEvents([r.create]);
      assert.equal(userPowerLevel(r.version, ALICE, state), r.version.privilegedCreators ? Infinity : 100, `v${id}`);
      assert.equal(userPowerLevel(r.version, BOB, state), 0, `v${id}`);
    }
  });

  test("v1–10 read content.creator; v11+ the create event's sender", () => {
    for (const id of ALL_VERSIONS) {
      const r = new Room(id, { creator: DAVE });
      const state = authStateFromEvents([r.create]);
      const expectDave = !r.version.implicitCreator;
      assert.equal(userPowerLevel(r.version, DAVE, state), expectDave ? 100 : 0, `v${id} dave`);
      assert.equal(userPowerLevel(r.version, ALICE, state), expectDave ? 0 : r.version.privilegedCreators ? Infinity : 100, `v${id} alice`);
    }
  });

  test("users entry, else users_default", () => {
    for (const id of ALL_VERSIONS) {
      const r = new Room(id);
      const state = authStateFromEvents([r.create, r.powerLevels({ users: { [BOB]: 30 }, users_default: 5 })]);
      assert.equal(userPowerLevel(r.version, BOB, state), 30);
      assert.equal(userPowerLevel(r.version, CAROL, state), 5);
      // With a power levels event the creator has no automatic 100 before v12.
      assert.equal(userPowerLevel(r.version, ALICE, state), r.version.privilegedCreators ? Infinity : 5);
    }
  });

  test("v12: additional creators are infinitely powerful whatever the power levels say", () => {
    const r = new Room("12", { additional_creators: [CAROL] });
    const state = authStateFromEvents([r.create, r.powerLevels({ users: { [CAROL]: 1 } })]);
    assert.equal(userPowerLevel(r.version, CAROL, state), Infinity);
    assert.deepEqual(roomCreators(r.version, r.create), [ALICE, CAROL]);
    assert.equal(isRoomCreator(r.version, CAROL, r.create), true);
    const v11 = new Room("11", { additional_creators: [CAROL] });
    assert.equal(isRoomCreator(v11.version, CAROL, v11.create), false);
    assert.equal(isRoomCreator(v11.version, ALICE, v11.create), true);
  });

  test("stringy and floaty levels per version", () => {
    for (const id of ALL_VERSIONS) {
      const r = new Room(id);
      const state = authStateFromEvents([r.create, r.powerLevels({ users: { [BOB]: "50", [CAROL]: 50.7 }, users_default: 1 })]);
      assert.equal(userPowerLevel(r.version, BOB, state), r.version.integerPowerLevels ? 1 : 50, `v${id} "50"`);
      assert.equal(userPowerLevel(r.version, CAROL, state), r.version.strictCanonicalJson ? 1 : 50, `v${id} 50.7`);
    }
  });
});
