/** m.room.power_levels events: content validation per version, v12 creators, and the change rules. */
import type { JsonObject } from "../../../src/protocol/json.js";
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, versions, type Room } from "./room-builder.js";
import { runTable, type Row } from "./table.js";

/** State where dave (joined, level `level`) may send power levels (events override to 0). */
function daveAt(level: number | string, content: JsonObject = {}) {
  return (r: Room) => {
    const users = { ...(r.version.privilegedCreators ? {} : { [ALICE]: 100 }), [DAVE]: level, ...((content["users"] as JsonObject) ?? {}) };
    const events = { "m.room.power_levels": 0, ...((content["events"] as JsonObject) ?? {}) };
    return [r.create, r.member(ALICE, "join"), r.member(DAVE, "join"), r.powerLevels({ ...content, users, events })];
  };
}

/** A new power-levels event by dave: the previous content with `change` applied (null deletes; a
 *  `users` or `events` change replaces the whole map). */
function daveSends(before: JsonObject, change: JsonObject, level: number | string = 50) {
  return (r: Room) => {
    const users = { ...(r.version.privilegedCreators ? {} : { [ALICE]: 100 }), [DAVE]: level, ...((before["users"] as JsonObject) ?? {}) };
    const events = { "m.room.power_levels": 0, ...((before["events"] as JsonObject) ?? {}) };
    const content: JsonObject = { ...before, users, events };
    for (const [key, value] of Object.entries(change)) {
      if (value === null) delete content[key];
      // A new users map keeps the creator's entry (v1–11) so that only the named change happens.
      else if (key === "users") content[key] = { ...(r.version.privilegedCreators ? {} : { [ALICE]: 100 }), ...(value as JsonObject) };
      else content[key] = value;
    }
    return r.powerLevels(content, DAVE);
  };
}

/** The creator's first power-levels event (no previous one). */
const firstLevels = (content: JsonObject) => (r: Room) => r.powerLevels(content);
const creatorOnly = (r: Room) => [r.create, r.member(ALICE, "join")];

const rows: Row[] = [
  // Content validation.
  { name: "a first power levels event is allowed", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ ban: 50, users: { [BOB]: 10 } }) },
  {
    name: "the first power levels event may grant more than the sender has (no previous event to compare)",
    versions: versions(1, 11),
    state: creatorOnly,
    event: firstLevels({ users: { [ALICE]: 100, [BOB]: 1000 }, ban: 1000 }),
  },
  { name: "users that is not an object is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ users: [BOB] }), reject: "power_levels.users" },
  { name: "a users key that is not a user ID is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ users: { bob: 10 } }), reject: "power_levels.users" },
  {
    name: "historical user IDs (non-ASCII localpart) are accepted as users keys",
    versions: ALL_VERSIONS,
    state: creatorOnly,
    event: firstLevels({ users: { "@ünïcode:b.example": 10 } }),
  },
  { name: "a users value that is not a level is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ users: { [BOB]: "abc" } }), reject: "power_levels.users" },
  { name: "a null users value is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ users: { [BOB]: null } }), reject: "power_levels.users" },
  { name: "a boolean level is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ users: { [BOB]: true } }), reject: "power_levels.users" },
  { name: "v1–9: stringy users values are allowed", versions: versions(1, 9), state: creatorOnly, event: firstLevels({ users: { [BOB]: " +10 " } }) },
  { name: "v10+: stringy users values are rejected", versions: versions(10), state: creatorOnly, event: firstLevels({ users: { [BOB]: "10" } }), reject: "power_levels.users" },
  { name: "v1–9: stringy top-level levels are allowed", versions: versions(1, 9), state: creatorOnly, event: firstLevels({ ban: "50", kick: "0050", state_default: "-1" }) },
  { name: "v10+: a stringy top-level level is rejected", versions: versions(10), state: creatorOnly, event: firstLevels({ ban: "50" }), reject: "power_levels.level" },
  { name: "every version rejects a top-level level in no valid form", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ kick: "5e1" }), reject: "power_levels.level" },
  { name: "v1–9: a null top-level level reads as absent", versions: versions(1, 9), state: creatorOnly, event: firstLevels({ redact: null }) },
  { name: "v10+: a null top-level level is rejected", versions: versions(10), state: creatorOnly, event: firstLevels({ redact: null }), reject: "power_levels.level" },
  { name: "v1–9: stringy events values are allowed", versions: versions(1, 9), state: creatorOnly, event: firstLevels({ events: { "m.room.name": "50" } }) },
  { name: "v10+: stringy events values are rejected", versions: versions(10), state: creatorOnly, event: firstLevels({ events: { "m.room.name": "50" } }), reject: "power_levels.events" },
  { name: "events that is not an object is rejected", versions: ALL_VERSIONS, state: creatorOnly, event: firstLevels({ events: 50 }), reject: "power_levels.events" },
  { name: "v10+: stringy notifications values are rejected", versions: versions(10), state: creatorOnly, event: firstLevels({ notifications: { room: "20" } }), reject: "power_levels.notifications" },
  { name: "v6–9: stringy notifications values are allowed", versions: versions(6, 9), state: creatorOnly, event: firstLevels({ notifications: { room: "20" } }) },
  { name: "v1–5: notifications are not the auth rules' business", versions: versions(1, 5), state: creatorOnly, event: firstLevels({ notifications: "anything" }) },
  { name: "v1–5: float levels are allowed", versions: versions(1, 5), state: creatorOnly, event: firstLevels({ users: { [BOB]: 50.57 }, ban: 5.114698e4 }) },
  { name: "v1–5: big integers (beyond 2^53) are allowed", versions: versions(1, 5), state: creatorOnly, event: firstLevels({ users: { [BOB]: 2n ** 60n } }) },
  { name: "v6+: floats are no levels", versions: versions(6), state: creatorOnly, event: firstLevels({ users: { [BOB]: 50.5 } }), reject: "power_levels.users" },
  { name: "v6+: integers beyond 2^53 are no levels", versions: versions(6), state: creatorOnly, event: firstLevels({ users: { [BOB]: 2 ** 60 } }), reject: "power_levels.users" },
  // v12 creators.
  { name: "v12: the creator may not be listed in users", versions: ["12"], state: creatorOnly, event: firstLevels({ users: { [ALICE]: 100 } }), reject: "power_levels.creator_in_users" },
  {
    name: "v12: an additional creator may not be listed in users",
    versions: ["12"],
    create: { additional_creators: [CAROL] },
    state: creatorOnly,
    event: firstLevels({ users: { [CAROL]: 0 } }),
    reject: "power_levels.creator_in_users",
  },
  {
    name: "v12: a creator may set any level",
    versions: ["12"],
    state: daveAt(100, { ban: 100 }),
    event: (r) => r.powerLevels({ users: { [DAVE]: 9007199254740991 }, ban: 9007199254740991, events: { "m.room.power_levels": 9007199254740991 } }),
  },
  // Top-level levels.
  { name: "lowering ban from 50 at level 50", versions: ALL_VERSIONS, state: daveAt(50, { ban: 50 }), event: daveSends({ ban: 50 }, { ban: 40 }) },
  { name: "lowering ban from 60 at level 50 is rejected", versions: ALL_VERSIONS, state: daveAt(50, { ban: 60 }), event: daveSends({ ban: 60 }, { ban: 40 }), reject: "power_levels.change.level" },
  { name: "raising kick above one's own level is rejected", versions: ALL_VERSIONS, state: daveAt(50, { kick: 50 }), event: daveSends({ kick: 50 }, { kick: 51 }), reject: "power_levels.change.level" },
  { name: "adding invite at one's own level", versions: ALL_VERSIONS, state: daveAt(50), event: daveSends({}, { invite: 50 }) },
  { name: "adding state_default above one's level is rejected", versions: ALL_VERSIONS, state: daveAt(50), event: daveSends({}, { state_default: 51 }), reject: "power_levels.change.level" },
  { name: "removing a redact level above one's own is rejected", versions: ALL_VERSIONS, state: daveAt(50, { redact: 60 }), event: daveSends({ redact: 60 }, { redact: null }), reject: "power_levels.change.level" },
  { name: "users_default is protected too", versions: ALL_VERSIONS, state: daveAt(50, { users_default: 0 }), event: daveSends({ users_default: 0 }, { users_default: 51 }), reject: "power_levels.change.level" },
  { name: "events_default is protected too", versions: ALL_VERSIONS, state: daveAt(50, { events_default: 60 }), event: daveSends({ events_default: 60 }, { events_default: 0 }), reject: "power_levels.change.level" },
  {
    name: "v1–9: \"60\" → 60 is no change, so a level-50 sender may keep it",
    versions: versions(1, 9),
    state: daveAt(50, { ban: "60" }),
    event: daveSends({ ban: "60" }, { ban: 60 }),
  },
  { name: "an unchanged level above the sender's own is fine", versions: ALL_VERSIONS, state: daveAt(50, { ban: 100 }), event: daveSends({ ban: 100 }, { kick: 20 }) },
  // events / notifications.
  {
    name: "adding an events entry above one's level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50),
    event: daveSends({}, { events: { "m.room.power_levels": 0, "m.room.name": 51 } }),
    reject: "power_levels.change.events",
  },
  {
    name: "changing an events entry that was above one's level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50, { events: { "m.room.name": 100 } }),
    event: daveSends({}, { events: { "m.room.power_levels": 0, "m.room.name": 0 } }),
    reject: "power_levels.change.events",
  },
  {
    name: "removing an events entry that was above one's level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50, { events: { "m.room.name": 100 } }),
    event: daveSends({}, { events: { "m.room.power_levels": 0 } }),
    reject: "power_levels.change.events",
  },
  {
    name: "changing an events entry within one's level",
    versions: ALL_VERSIONS,
    state: daveAt(50, { events: { "m.room.name": 50 } }),
    event: daveSends({}, { events: { "m.room.power_levels": 0, "m.room.name": 10 } }),
  },
  {
    name: "v6+: lowering notifications.room from above one's level is rejected",
    versions: versions(6),
    state: daveAt(50, { notifications: { room: 100 } }),
    event: daveSends({}, { notifications: { room: 0 } }),
    reject: "power_levels.change.notifications",
  },
  {
    name: "v6+: adding a notifications entry above one's level is rejected",
    versions: versions(6),
    state: daveAt(50),
    event: daveSends({}, { notifications: { room: 51 } }),
    reject: "power_levels.change.notifications",
  },
  {
    name: "v1–5: notifications changes are unchecked",
    versions: versions(1, 5),
    state: daveAt(50, { notifications: { room: 100 } }),
    event: daveSends({}, { notifications: { room: 0 } }),
  },
  // users.
  { name: "demoting a lower user", versions: ALL_VERSIONS, state: daveAt(50, { users: { [BOB]: 40 } }), event: daveSends({}, { users: { [DAVE]: 50, [BOB]: 0 } }) },
  {
    name: "demoting a peer of equal level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50, { users: { [BOB]: 50 } }),
    event: daveSends({}, { users: { [DAVE]: 50, [BOB]: 0 } }),
    reject: "power_levels.change.users_peer",
  },
  {
    name: "removing a peer of equal level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50, { users: { [BOB]: 50 } }),
    event: daveSends({}, { users: { [DAVE]: 50 } }),
    reject: "power_levels.change.users_peer",
  },
  {
    name: "promoting someone to one's own level",
    versions: ALL_VERSIONS,
    state: daveAt(50),
    event: daveSends({}, { users: { [DAVE]: 50, [BOB]: 50 } }),
  },
  {
    name: "promoting someone above one's own level is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50),
    event: daveSends({}, { users: { [DAVE]: 50, [BOB]: 51 } }),
    reject: "power_levels.change.users_grant",
  },
  { name: "demoting oneself", versions: ALL_VERSIONS, state: daveAt(50), event: daveSends({}, { users: { [DAVE]: 10 } }) },
  {
    name: "promoting oneself is rejected",
    versions: ALL_VERSIONS,
    state: daveAt(50),
    event: daveSends({}, { users: { [DAVE]: 51 } }),
    reject: "power_levels.change.users_grant",
  },
  {
    name: "v1–11: demoting the level-100 creator at level 50 is rejected",
    versions: versions(1, 11),
    state: daveAt(50),
    event: daveSends({}, { users: { [DAVE]: 50, [ALICE]: 0 } }),
    reject: "power_levels.change.users_peer",
  },
  {
    name: "v1–9: \"40\" → 40 for another user is no change even at level 30",
    versions: versions(1, 9),
    state: daveAt(30, { users: { [BOB]: "40" } }),
    event: daveSends({}, { users: { [DAVE]: 30, [BOB]: 40 } }, 30),
  },
  // The power levels event is also a state event with a required level.
  {
    name: "sending power levels needs the level for m.room.power_levels",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ users: { [DAVE]: 49 }, levels: { events: { "m.room.power_levels": 50 } }, members: { [DAVE]: "join" } }),
    event: (r) => r.powerLevels({ users: { [DAVE]: 49 } }, DAVE),
    reject: "power.send",
  },
];

runTable("power levels events", rows);
