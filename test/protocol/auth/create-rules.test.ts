import { ALICE, ALL_VERSIONS, BOB, versions } from "./room-builder.js";
import { runTable, type Row } from "./table.js";

const noState = () => [];

const rows: Row[] = [
  { name: "a plain create event is allowed", versions: ALL_VERSIONS, state: noState, event: (r) => r.create },
  {
    name: "a create event with prev_events is rejected",
    versions: ALL_VERSIONS,
    state: noState,
    event: (r) => ({ ...r.create, prev_events: ["$other"] }),
    reject: "create.prev_events",
  },
  {
    name: "room ID on another server than the sender's is rejected",
    versions: versions(1, 11),
    state: noState,
    event: (r) => ({ ...r.create, sender: BOB }),
    reject: "create.room_id_domain",
  },
  {
    name: "room ID on another server does not matter when the room ID is the create event's hash",
    versions: ["12"],
    state: noState,
    event: (r) => ({ ...r.create, sender: BOB }),
  },
  {
    name: "a room ID that is not the create event's own is rejected",
    versions: ["12"],
    state: noState,
    event: (r) => ({ ...r.create, room_id: "!room:a.example" }),
    reject: "create.room_id",
  },
  {
    name: "an unknown content.room_version is rejected",
    versions: ALL_VERSIONS,
    create: { room_version: "banana" },
    state: noState,
    event: (r) => r.create,
    reject: "create.room_version",
  },
  {
    name: "a non-string content.room_version is rejected",
    versions: ALL_VERSIONS,
    create: { room_version: 5 },
    state: noState,
    event: (r) => r.create,
    reject: "create.room_version",
  },
  {
    name: "a missing content.room_version is allowed (it means 1)",
    versions: ALL_VERSIONS,
    state: noState,
    event: (r) => {
      const { room_version: _drop, ...content } = r.create.content;
      return { ...r.create, content };
    },
  },
  {
    name: "no content.creator is rejected",
    versions: versions(1, 10),
    state: noState,
    event: (r) => ({ ...r.create, content: { room_version: r.version.id } }),
    reject: "create.creator",
  },
  {
    name: "no content.creator is fine once the creator is the sender",
    versions: versions(11),
    state: noState,
    event: (r) => ({ ...r.create, content: { room_version: r.version.id } }),
  },
  {
    name: "valid additional_creators are allowed",
    versions: ["12"],
    create: { additional_creators: [BOB, "@carol:[::1]:8448", "@x:127.0.0.1"] },
    state: noState,
    event: (r) => r.create,
  },
  {
    name: "additional_creators that is not an array is rejected",
    versions: ["12"],
    create: { additional_creators: BOB },
    state: noState,
    event: (r) => r.create,
    reject: "create.additional_creators",
  },
  {
    name: "additional_creators with a non-string is rejected",
    versions: ["12"],
    create: { additional_creators: [BOB, 7] },
    state: noState,
    event: (r) => r.create,
    reject: "create.additional_creators",
  },
  {
    name: "additional_creators with a string that is not a user ID is rejected",
    versions: ["12"],
    create: { additional_creators: ["bob:b.example"] },
    state: noState,
    event: (r) => r.create,
    reject: "create.additional_creators",
  },
  {
    name: "additional_creators with an invalid server name is rejected",
    versions: ["12"],
    create: { additional_creators: ["@bob:b_example!"] },
    state: noState,
    event: (r) => r.create,
    reject: "create.additional_creators",
  },
  {
    name: "additional_creators longer than 255 bytes is rejected",
    versions: ["12"],
    create: { additional_creators: [`@${"x".repeat(250)}:b.example`] },
    state: noState,
    event: (r) => r.create,
    reject: "create.additional_creators",
  },
  {
    name: "additional_creators means nothing before v12",
    versions: versions(1, 11),
    create: { additional_creators: "junk" },
    state: noState,
    event: (r) => r.create,
  },
  // Every other event needs the room's create event.
  {
    name: "an event in a room without a create event is rejected",
    versions: ALL_VERSIONS,
    state: (r) => [r.member(ALICE, "join")],
    event: (r) => r.message(ALICE),
    reject: "create.missing",
    stateOnly: true,
  },
  {
    name: "an event whose room is not the create event's is rejected",
    versions: ALL_VERSIONS,
    state: (r) => r.standard(),
    event: (r) => ({ ...r.message(ALICE), room_id: "!elsewhere:a.example" }),
    reject: "create.room",
    stateOnly: true,
  },
];

runTable("create event rules", rows);
