/** checkEventAuthWithAuthEvents: the event's own auth events must be what auth events selection allows. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkEventAuthWithAuthEvents } from "../../../src/protocol/auth/check-auth.js";
import type { RoomEvent } from "../../../src/protocol/event.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, Room, versions } from "./room-builder.js";
import { expectOutcome } from "./table.js";

function cite(event: RoomEvent, authEvents: RoomEvent[]): RoomEvent {
  return { ...event, auth_events: authEvents.map((e) => e.event_id) };
}

/** create (v1–11 only), power levels, alice's membership: the auth events of a message by alice. */
function basics(r: Room) {
  const [create, aliceJoin, levels] = r.standard();
  const cited = r.version.roomIdFromCreateEvent ? [aliceJoin!, levels!] : [create!, aliceJoin!, levels!];
  /** What someone other than alice cites: create (v1–11) and power levels. */
  const common = r.version.roomIdFromCreateEvent ? [levels!] : [create!, levels!];
  return { create: create!, aliceJoin: aliceJoin!, levels: levels!, cited, common };
}

interface Case {
  name: string;
  versions: string[];
  build: (r: Room) => { event: RoomEvent; authEvents: RoomEvent[]; create?: RoomEvent };
  reject?: string;
}

const cases: Case[] = [
  {
    name: "the selected auth events authorise a message",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      return { event: cite(r.message(ALICE), b.cited), authEvents: b.cited, create: b.create };
    },
  },
  {
    name: "a subset of the selection is fine (no power levels event cited)",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = b.cited.filter((e) => e !== b.levels);
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
  },
  {
    name: "two events for the same (type, state_key) are rejected",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = [...b.cited, r.powerLevels({ users: {} })];
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.duplicate",
  },
  {
    name: "the same event cited twice is a duplicate",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      return { event: { ...cite(r.message(ALICE), b.cited), auth_events: [...b.cited.map((e) => e.event_id), b.levels.event_id] }, authEvents: b.cited, create: b.create };
    },
    reject: "auth_events.duplicate",
  },
  {
    name: "a join rules event is not a message's business",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = [...b.cited, r.joinRules("public")];
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.unexpected",
  },
  {
    name: "another user's membership is not a message's business",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = [...b.cited, r.member(BOB, "join")];
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.unexpected",
  },
  {
    name: "an auth event that is not a state event is rejected",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = [...b.cited, r.message(ALICE)];
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.not_state",
  },
  {
    name: "an auth event from another room is rejected",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const foreign = { ...b.levels, room_id: "!other:a.example" };
      const cited = b.cited.map((e) => (e === b.levels ? foreign : e));
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.room",
  },
  {
    name: "v1–11: no create event among the auth events is rejected",
    versions: versions(1, 11),
    build: (r) => {
      const b = basics(r);
      const cited = b.cited.filter((e) => e !== b.create);
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.no_create",
  },
  {
    name: "v12: the create event must not be cited",
    versions: ["12"],
    build: (r) => {
      const b = basics(r);
      const cited = [b.create, ...b.cited];
      return { event: cite(r.message(ALICE), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.unexpected",
  },
  {
    name: "v12: without the create event nothing can be authorised",
    versions: ["12"],
    build: (r) => {
      const b = basics(r);
      return { event: cite(r.message(ALICE), b.cited), authEvents: b.cited };
    },
    reject: "create.missing",
  },
  {
    name: "v12: a create event of another room is rejected (the room ID names the create event)",
    versions: ["12"],
    build: (r) => {
      const b = basics(r);
      const otherCreate = { ...b.create, event_id: "$othercreate", room_id: "!othercreate" };
      return { event: cite(r.message(ALICE), b.cited), authEvents: b.cited, create: otherCreate };
    },
    reject: "create.room",
  },
  {
    name: "v8+: a restricted join may cite the authorising user's membership",
    versions: versions(8),
    build: (r) => {
      const b = basics(r);
      const joinRules = r.joinRules("restricted");
      const carol = r.member(CAROL, "join");
      const cited = [...b.common, joinRules, carol];
      return { event: cite(r.member(BOB, "join", { join_authorised_via_users_server: CAROL }), cited), authEvents: cited, create: b.create };
    },
  },
  {
    name: "v1–7: join_authorised_via_users_server selects nothing",
    versions: versions(1, 7),
    build: (r) => {
      const b = basics(r);
      const joinRules = r.joinRules("public");
      const carol = r.member(CAROL, "join");
      const cited = [...b.common, joinRules, carol];
      return { event: cite(r.member(BOB, "join", { join_authorised_via_users_server: CAROL }), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.unexpected",
  },
  {
    name: "a leave may not cite the join rules",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const dave = r.member(DAVE, "join");
      const cited = [...b.common, dave, r.joinRules("public")];
      return { event: cite(r.member(DAVE, "leave"), cited), authEvents: cited, create: b.create };
    },
    reject: "auth_events.unexpected",
  },
  {
    name: "the auth events decide, not the room's present: a ban cited from before the join",
    versions: ALL_VERSIONS,
    build: (r) => {
      const b = basics(r);
      const cited = [...b.common, r.joinRules("public"), r.member(BOB, "ban", {}, ALICE)];
      return { event: cite(r.member(BOB, "join"), cited), authEvents: cited, create: b.create };
    },
    reject: "member.join.banned",
  },
];

describe("auth events", () => {
  for (const c of cases) {
    for (const versionId of c.versions) {
      test(`v${versionId}: ${c.name}`, () => {
        const room = new Room(versionId);
        const { event, authEvents, create } = c.build(room);
        expectOutcome(() => checkEventAuthWithAuthEvents(room.version, event, authEvents, create), c.reject);
      });
    }
  }

  test("auth events that are not the ones the event names are a caller bug (plain Error)", () => {
    const room = new Room("10");
    const b = basics(room);
    const event = cite(room.message(ALICE), b.cited);
    assert.throws(() => checkEventAuthWithAuthEvents(room.version, event, b.cited.slice(1)), (e: Error) => e.name === "Error");
    assert.throws(() => checkEventAuthWithAuthEvents(room.version, { ...event, auth_events: [] }, b.cited), (e: Error) => e.name === "Error");
  });

  test("create events need no auth events", () => {
    const room = new Room("12");
    checkEventAuthWithAuthEvents(room.version, room.create, []);
  });
});
