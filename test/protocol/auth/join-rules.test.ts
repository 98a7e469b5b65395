/** Joins: the creator's first join, and each join rule (public, invite, knock, restricted, knock_restricted). */
import { ALICE, ALL_VERSIONS, BOB, CAROL, DAVE, versions, type Room } from "./room-builder.js";
import { runTable, type Row } from "./table.js";

const join = (user: string, extra = {}) => (r: Room) => r.member(user, "join", extra);

const rows: Row[] = [
  // The creator's first join: the only prev event is the create event.
  {
    name: "the creator joins right after the create event",
    versions: ALL_VERSIONS,
    state: (r) => [r.create],
    event: (r) => r.member(ALICE, "join", {}, ALICE, { prevEvents: [r.create.event_id] }),
  },
  {
    name: "the creator's join after anything else needs a join rule",
    versions: ALL_VERSIONS,
    state: (r) => [r.create],
    event: (r) => r.member(ALICE, "join", {}, ALICE, { prevEvents: [r.create.event_id, "$other"] }),
    reject: "member.join.not_invited",
  },
  {
    name: "someone else cannot use the first-join shortcut",
    versions: ALL_VERSIONS,
    state: (r) => [r.create],
    event: (r) => r.member(DAVE, "join", {}, DAVE, { prevEvents: [r.create.event_id] }),
    reject: "member.join.not_invited",
  },
  {
    name: "v1–10: the creator is content.creator, not the sender",
    versions: versions(1, 10),
    create: { creator: DAVE },
    state: (r) => [r.create],
    event: (r) => r.member(DAVE, "join", {}, DAVE, { prevEvents: [r.create.event_id] }),
  },
  {
    name: "v1–10: the create event's sender is not the creator when content.creator says otherwise",
    versions: versions(1, 10),
    create: { creator: DAVE },
    state: (r) => [r.create],
    event: (r) => r.member(ALICE, "join", {}, ALICE, { prevEvents: [r.create.event_id] }),
    reject: "member.join.not_invited",
  },
  {
    name: "v11+: content.creator is ignored; the sender is the creator",
    versions: versions(11),
    create: { creator: DAVE },
    state: (r) => [r.create],
    event: (r) => r.member(ALICE, "join", {}, ALICE, { prevEvents: [r.create.event_id] }),
  },
  {
    name: "v11+: content.creator gives no first join",
    versions: versions(11),
    create: { creator: DAVE },
    state: (r) => [r.create],
    event: (r) => r.member(DAVE, "join", {}, DAVE, { prevEvents: [r.create.event_id] }),
    reject: "member.join.not_invited",
  },
  {
    name: "v12: an additional creator has no first-join shortcut",
    versions: ["12"],
    create: { additional_creators: [DAVE] },
    state: (r) => [r.create],
    event: (r) => r.member(DAVE, "join", {}, DAVE, { prevEvents: [r.create.event_id] }),
    reject: "member.join.not_invited",
  },
  // General join checks.
  {
    name: "joining on someone else's behalf is rejected",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "public" }),
    event: (r) => r.member(BOB, "join", {}, ALICE),
    reject: "member.join.sender",
  },
  {
    name: "a banned user cannot join a public room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "public", members: { [BOB]: "ban" } }),
    event: join(BOB),
    reject: "member.join.banned",
  },
  { name: "anyone joins a public room", versions: ALL_VERSIONS, state: (r) => r.standard({ joinRule: "public" }), event: join(BOB) },
  {
    name: "a user who left can rejoin a public room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "public", members: { [BOB]: "leave" } }),
    event: join(BOB),
  },
  // invite
  {
    name: "an invited user joins an invite-only room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "invite", members: { [BOB]: "invite" } }),
    event: join(BOB),
  },
  {
    name: "a joined user may send another join (profile change) in an invite-only room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "invite", members: { [BOB]: "join" } }),
    event: join(BOB, { displayname: "Bob" }),
  },
  {
    name: "an uninvited user cannot join an invite-only room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "invite" }),
    event: join(BOB),
    reject: "member.join.not_invited",
  },
  {
    name: "a user who left cannot join an invite-only room",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "invite", members: { [BOB]: "leave" } }),
    event: join(BOB),
    reject: "member.join.not_invited",
  },
  {
    name: "no join rules event: read as invite (Synapse), so an invited user joins",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ members: { [BOB]: "invite" } }),
    event: join(BOB),
  },
  {
    name: "no join rules event: an uninvited user cannot join",
    versions: ALL_VERSIONS,
    state: (r) => r.standard(),
    event: join(BOB),
    reject: "member.join.not_invited",
  },
  {
    name: "an unknown join rule lets nobody in",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ joinRule: "private", members: { [BOB]: "invite" } }),
    event: join(BOB),
    reject: "member.join.rule",
  },
  // knock
  {
    name: "knock rooms admit invited users",
    versions: versions(7),
    state: (r) => r.standard({ joinRule: "knock", members: { [BOB]: "invite" } }),
    event: join(BOB),
  },
  {
    name: "knock rooms do not admit a user who only knocked",
    versions: versions(7),
    state: (r) => r.standard({ joinRule: "knock", members: { [BOB]: "knock" } }),
    event: join(BOB),
    reject: "member.join.not_invited",
  },
  {
    name: "before v7 the knock join rule is unknown and admits nobody",
    versions: versions(1, 6),
    state: (r) => r.standard({ joinRule: "knock", members: { [BOB]: "invite" } }),
    event: join(BOB),
    reject: "member.join.rule",
  },
  // restricted
  {
    name: "restricted: a join vouched for by a joined member who may invite",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", members: { [CAROL]: "join" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
  },
  {
    name: "restricted: invited users need no voucher",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", members: { [BOB]: "invite" } }),
    event: join(BOB),
  },
  {
    name: "restricted: joined users need no voucher",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", members: { [BOB]: "join" } }),
    event: join(BOB),
  },
  {
    name: "restricted: a join with no voucher is rejected",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted" }),
    event: join(BOB),
    reject: "member.join.restricted.no_authoriser",
  },
  {
    name: "restricted: a voucher who is not joined is rejected",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", members: { [CAROL]: "invite" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
    reject: "member.join.restricted.authoriser_not_joined",
  },
  {
    name: "restricted: a voucher below the invite level is rejected",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", levels: { invite: 10 }, users: { [CAROL]: 9 }, members: { [CAROL]: "join" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
    reject: "member.join.restricted.authoriser_cannot_invite",
  },
  {
    name: "restricted: a voucher exactly at the invite level is enough",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", levels: { invite: 10 }, users: { [CAROL]: 10 }, members: { [CAROL]: "join" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
  },
  {
    name: "restricted: a banned user cannot join even when vouched for",
    versions: versions(8),
    state: (r) => r.standard({ joinRule: "restricted", members: { [CAROL]: "join", [BOB]: "ban" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
    reject: "member.join.banned",
  },
  {
    name: "v12: a creator vouches whatever the invite level",
    versions: ["12"],
    state: (r) => r.standard({ joinRule: "restricted", levels: { invite: 9007199254740991 } }),
    event: join(BOB, { join_authorised_via_users_server: ALICE }),
  },
  {
    name: "before v8 the restricted join rule is unknown and admits nobody",
    versions: versions(1, 7),
    state: (r) => r.standard({ joinRule: "restricted", members: { [BOB]: "invite" } }),
    event: join(BOB, { join_authorised_via_users_server: ALICE }),
    reject: "member.join.rule",
  },
  // knock_restricted
  {
    name: "knock_restricted: a vouched join",
    versions: versions(10),
    state: (r) => r.standard({ joinRule: "knock_restricted", members: { [CAROL]: "join" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
  },
  {
    name: "knock_restricted: an invited user joins",
    versions: versions(10),
    state: (r) => r.standard({ joinRule: "knock_restricted", members: { [BOB]: "invite" } }),
    event: join(BOB),
  },
  {
    name: "knock_restricted: an unvouched, uninvited join is rejected",
    versions: versions(10),
    state: (r) => r.standard({ joinRule: "knock_restricted", members: { [BOB]: "knock" } }),
    event: join(BOB),
    reject: "member.join.restricted.no_authoriser",
  },
  {
    name: "knock_restricted: a voucher who left is rejected",
    versions: versions(10),
    state: (r) => r.standard({ joinRule: "knock_restricted", members: { [CAROL]: "leave" } }),
    event: join(BOB, { join_authorised_via_users_server: CAROL }),
    reject: "member.join.restricted.authoriser_not_joined",
  },
  {
    name: "before v10 knock_restricted is unknown and admits nobody, invited or not",
    versions: versions(1, 9),
    state: (r) => r.standard({ joinRule: "knock_restricted", members: { [BOB]: "invite" } }),
    event: join(BOB),
    reject: "member.join.rule",
  },
];

runTable("join rules", rows);
