import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authEventKeys } from "../../../src/protocol/auth/auth-event-selection.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { ALICE, BOB, CAROL } from "./room-builder.js";

const v = (id: string) => getRoomVersion(id);
const sorted = (keys: Array<[string, string]>) => keys.map(([t, k]) => `${t}|${k}`).sort();
const CREATE = "m.room.create|";
const PL = "m.room.power_levels|";
const JR = "m.room.join_rules|";
const member = (user: string) => `m.room.member|${user}`;

describe("auth events selection", () => {
  test("create events cite nothing", () => {
    for (const id of ["1", "11", "12"]) {
      assert.deepEqual(authEventKeys(v(id), { type: "m.room.create", state_key: "", sender: ALICE, content: {} }), []);
    }
  });

  test("a message cites create, power levels and the sender's membership; v12 not the create event", () => {
    const message = { type: "m.room.message", sender: BOB, content: { body: "hi" } };
    assert.deepEqual(sorted(authEventKeys(v("11"), message)), [CREATE, member(BOB), PL].sort());
    assert.deepEqual(sorted(authEventKeys(v("12"), message)), [member(BOB), PL].sort());
  });

  test("joins, invites and knocks cite the join rules; leaves and bans do not", () => {
    for (const membership of ["join", "invite", "knock"]) {
      const keys = sorted(authEventKeys(v("10"), { type: "m.room.member", state_key: BOB, sender: BOB, content: { membership } }));
      assert.deepEqual(keys, [CREATE, JR, member(BOB), PL].sort(), membership);
    }
    for (const membership of ["leave", "ban"]) {
      const keys = sorted(authEventKeys(v("10"), { type: "m.room.member", state_key: BOB, sender: ALICE, content: { membership } }));
      assert.deepEqual(keys, [CREATE, member(ALICE), member(BOB), PL].sort(), membership);
    }
  });

  test("a third-party invite cites the m.room.third_party_invite of its token", () => {
    const content = { membership: "invite", third_party_invite: { signed: { mxid: BOB, token: "tok", signatures: {} } } };
    const keys = sorted(authEventKeys(v("1"), { type: "m.room.member", state_key: BOB, sender: ALICE, content }));
    assert.deepEqual(keys, [CREATE, JR, member(ALICE), member(BOB), PL, "m.room.third_party_invite|tok"].sort());
  });

  test("a malformed third-party invite selects no token", () => {
    const content = { membership: "invite", third_party_invite: { signed: { token: 5 } } };
    const keys = sorted(authEventKeys(v("1"), { type: "m.room.member", state_key: BOB, sender: ALICE, content }));
    assert.deepEqual(keys, [CREATE, JR, member(ALICE), member(BOB), PL].sort());
  });

  test("restricted joins cite the authorising user's membership from v8", () => {
    const event = { type: "m.room.member", state_key: BOB, sender: BOB, content: { membership: "join", join_authorised_via_users_server: CAROL } };
    assert.ok(sorted(authEventKeys(v("8"), event)).includes(member(CAROL)));
    assert.ok(!sorted(authEventKeys(v("7"), event)).includes(member(CAROL)));
    const invite = { ...event, sender: ALICE, content: { membership: "invite", join_authorised_via_users_server: CAROL } };
    assert.ok(!sorted(authEventKeys(v("10"), invite)).includes(member(CAROL)));
  });

  test("no key twice", () => {
    const keys = authEventKeys(v("10"), { type: "m.room.member", state_key: BOB, sender: BOB, content: { membership: "join", join_authorised_via_users_server: BOB } });
    assert.equal(new Set(sorted(keys)).size, keys.length);
  });
});
