/** The rules for all other events: m.federate, aliases (v1–5), joined senders, required power levels,
 *  user-owned state keys, and v1–2 redactions. */
import { ALICE, ALL_VERSIONS, BOB, DAVE, versions } from "./room-builder.js";
import { runTable, type Row } from "./table.js";

const rows: Row[] = [
  // m.federate
  {
    name: "m.federate false keeps other servers' users out",
    versions: ALL_VERSIONS,
    create: { "m.federate": false },
    state: (r) => r.standard({ joinRule: "public" }),
    event: (r) => r.member(BOB, "join"),
    reject: "federate",
  },
  {
    name: "m.federate false still admits the creator's server",
    versions: ALL_VERSIONS,
    create: { "m.federate": false },
    state: (r) => r.standard({ joinRule: "public" }),
    event: (r) => r.member(DAVE, "join"),
  },
  {
    name: "m.federate false applies to messages of already-joined remote users",
    versions: ALL_VERSIONS,
    create: { "m.federate": false },
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.message(BOB),
    reject: "federate",
  },
  {
    name: "only the boolean false stops federation (the spec's wording; Synapse reads any non-true value as false)",
    versions: ALL_VERSIONS,
    create: { "m.federate": "false" },
    state: (r) => r.standard({ joinRule: "public" }),
    event: (r) => r.member(BOB, "join"),
  },
  // aliases
  {
    name: "v1–5: a server sets its own aliases without being in the room",
    versions: versions(1, 5),
    state: (r) => r.standard(),
    event: (r) => r.state("m.room.aliases", BOB, { aliases: ["#x:b.example"] }, "b.example"),
  },
  {
    name: "v1–5: aliases for another server are rejected",
    versions: versions(1, 5),
    state: (r) => r.standard(),
    event: (r) => r.state("m.room.aliases", ALICE, { aliases: ["#x:b.example"] }, "b.example"),
    reject: "aliases.domain",
  },
  {
    name: "v1–5: aliases without a state key are rejected",
    versions: versions(1, 5),
    state: (r) => r.standard(),
    event: (r) => r.raw("m.room.aliases", ALICE, { aliases: [] }),
    reject: "aliases.state_key",
  },
  {
    name: "v6+: aliases are an ordinary state event: the sender must be joined",
    versions: versions(6),
    state: (r) => r.standard(),
    event: (r) => r.state("m.room.aliases", BOB, { aliases: ["#x:b.example"] }, "b.example"),
    reject: "sender.not_joined",
  },
  {
    name: "v6+: aliases are an ordinary state event: state_default applies",
    versions: versions(6),
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.state("m.room.aliases", BOB, { aliases: ["#x:b.example"] }, "b.example"),
    reject: "power.send",
  },
  // Joined senders.
  { name: "a joined user sends a message", versions: ALL_VERSIONS, state: (r) => r.standard({ members: { [BOB]: "join" } }), event: (r) => r.message(BOB) },
  {
    name: "an invited user cannot send a message",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ members: { [BOB]: "invite" } }),
    event: (r) => r.message(BOB),
    reject: "sender.not_joined",
  },
  { name: "a stranger cannot send a message", versions: ALL_VERSIONS, state: (r) => r.standard(), event: (r) => r.message(BOB), reject: "sender.not_joined" },
  // Required power level.
  {
    name: "messages need events_default",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { events_default: 1 }, members: { [BOB]: "join" } }),
    event: (r) => r.message(BOB),
    reject: "power.send",
  },
  {
    name: "state events need state_default (50 by default)",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ users: { [BOB]: 49 }, members: { [BOB]: "join" } }),
    event: (r) => r.state("m.room.name", BOB, { name: "x" }),
    reject: "power.send",
  },
  {
    name: "events overrides state_default",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { events: { "m.room.name": 0 } }, members: { [BOB]: "join" } }),
    event: (r) => r.state("m.room.name", BOB, { name: "x" }),
  },
  {
    name: "events overrides events_default",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { events: { "m.reaction": 10 } }, members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.reaction", BOB, {}),
    reject: "power.send",
  },
  {
    name: "a state event uses state_default, a message of the same type events_default",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { state_default: 0, events_default: 10 }, members: { [BOB]: "join" } }),
    event: (r) => r.state("com.example.thing", BOB, {}),
  },
  {
    name: "users_default sets everyone's level",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { users_default: 50 }, members: { [BOB]: "join" } }),
    event: (r) => r.state("m.room.topic", BOB, { topic: "x" }),
  },
  {
    name: "without a power levels event non-creators cannot send state",
    versions: ALL_VERSIONS,
    state: (r) => [r.create, r.member(ALICE, "join"), r.member(BOB, "join")],
    event: (r) => r.state("m.room.name", BOB, { name: "x" }),
    reject: "power.send",
  },
  {
    name: "without a power levels event the creator sends state",
    versions: ALL_VERSIONS,
    state: (r) => [r.create, r.member(ALICE, "join")],
    event: (r) => r.state("m.room.name", ALICE, { name: "x" }),
  },
  {
    name: "v12: a creator sends state needing more than any integer level",
    versions: ["12"],
    state: (r) => r.standard({ levels: { events: { "m.room.tombstone": 9007199254740991 } } }),
    event: (r) => r.state("m.room.tombstone", ALICE, { body: "gone", replacement_room: "!new" }),
  },
  // User-owned state keys.
  {
    name: "a state key naming another user is rejected, whatever the power",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.state("com.example.status", ALICE, {}, BOB),
    reject: "state_key.user",
  },
  {
    name: "a state key naming the sender is fine",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { state_default: 0 }, members: { [BOB]: "join" } }),
    event: (r) => r.state("com.example.status", BOB, {}, BOB),
  },
  // Redactions.
  {
    name: "v1–2: below the redact level, a server may redact its own events",
    versions: versions(1, 2),
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.room.redaction", BOB, {}, { redacts: "$target:b.example" }),
  },
  {
    name: "v1–2: below the redact level, another server's events are off limits",
    versions: versions(1, 2),
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.room.redaction", BOB, {}, { redacts: "$target:a.example" }),
    reject: "redaction.domain",
  },
  {
    name: "v1–2: at the redact level anything may be redacted",
    versions: versions(1, 2),
    state: (r) => r.standard({ users: { [BOB]: 50 }, members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.room.redaction", BOB, {}, { redacts: "$target:a.example" }),
  },
  {
    name: "v3+: the redact level is not an auth rule (checked when the redaction is applied)",
    versions: versions(3),
    state: (r) => r.standard({ members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.room.redaction", BOB, { redacts: "$target" }, { redacts: "$target" }),
  },
  {
    name: "redactions still need their required power level",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { events: { "m.room.redaction": 1 } }, members: { [BOB]: "join" } }),
    event: (r) => r.raw("m.room.redaction", BOB, {}, { redacts: "$target:b.example" }),
    reject: "power.send",
  },
];

runTable("general rules", rows);
