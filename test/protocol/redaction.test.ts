import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "../../src/protocol/json.js";
import { redactedForHashing, redactEvent } from "../../src/protocol/redaction.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

function event(type: string, content: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    event_id: "$ev:example.org",
    type,
    room_id: "!room:example.org",
    sender: "@alice:example.org",
    state_key: "",
    content,
    hashes: { sha256: "hash" },
    signatures: { "example.org": { "ed25519:1": "sig" } },
    depth: 4,
    prev_events: ["$prev"],
    prev_state: [],
    auth_events: ["$auth"],
    origin: "example.org",
    origin_server_ts: 1234,
    membership: "join",
    unsigned: { age_ts: 1, replaces_state: "$old", prev_content: { x: 1 }, redacted_because: {} },
    not_protocol: "dropped",
    ...extra,
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function redactedContent(type: string, content: JsonObject, version: string): JsonObject {
  return redactEvent(event(type, content), getRoomVersion(version)).content as JsonObject;
}

/** Expected kept content per room version, for one input content. */
function expectContent(type: string, content: JsonObject, expected: (version: number) => object): void {
  for (const id of ALL_VERSIONS) {
    assert.deepEqual(redactedContent(type, content, id), expected(Number(id)), `${type} in room version ${id}`);
  }
}

describe("redaction: top-level keys", () => {
  it("keeps the v1 list through v10, without origin/membership/prev_state from v11", () => {
    for (const id of ALL_VERSIONS) {
      const redacted = redactEvent(event("m.room.message", { body: "hi" }), getRoomVersion(id));
      const expected = [
        "auth_events", "content", "depth", "event_id", "hashes", "origin_server_ts", "prev_events",
        "room_id", "sender", "signatures", "state_key", "type",
        ...(Number(id) < 11 ? ["membership", "origin", "prev_state"] : []),
      ].sort();
      assert.deepEqual(Object.keys(redacted).sort(), expected, `room version ${id}`);
      assert.deepEqual(redacted.content, {});
    }
  });

  it("drops room_id from a v12 create event only (as Synapse does)", () => {
    const create = event("m.room.create", { room_version: "12" });
    assert.equal("room_id" in redactEvent(create, getRoomVersion("12")), false);
    assert.equal("room_id" in redactEvent(create, getRoomVersion("11")), true);
    assert.equal("room_id" in redactEvent(event("m.room.message", {}), getRoomVersion("12")), true);
  });

  it("gives content {} when content is missing or not an object", () => {
    for (const content of [undefined, "text", [1, 2], null]) {
      const input = event("m.room.member", {});
      if (content === undefined) delete input.content;
      else input.content = content;
      assert.deepEqual(redactEvent(input, getRoomVersion("10")).content, {});
    }
  });
});

describe("redaction: content per event type and rules family", () => {
  it("m.room.member keeps membership; join_authorised_via_users_server from v9", () => {
    const content = { membership: "join", displayname: "Alice", avatar_url: "mxc://x/y", join_authorised_via_users_server: "@bob:x" };
    expectContent("m.room.member", content, (v) =>
      v >= 9 ? { membership: "join", join_authorised_via_users_server: "@bob:x" } : { membership: "join" },
    );
  });

  it("m.room.member keeps third_party_invite.signed only from v11", () => {
    const signed = { mxid: "@carol:x", token: "abc", signatures: { "id.example": { "ed25519:0": "s" } } };
    const content = { membership: "invite", third_party_invite: { display_name: "carol", signed } };
    expectContent("m.room.member", content, (v) =>
      v >= 11 ? { membership: "invite", third_party_invite: { signed } } : { membership: "invite" },
    );
    const v11 = getRoomVersion("11");
    // Where the spec is silent we follow Synapse: an object without `signed` becomes {}, a non-object goes.
    assert.deepEqual(redactEvent(event("m.room.member", { membership: "invite", third_party_invite: { a: 1 } }), v11).content, {
      membership: "invite",
      third_party_invite: {},
    });
    assert.deepEqual(redactEvent(event("m.room.member", { membership: "invite", third_party_invite: "x" }), v11).content, {
      membership: "invite",
    });
  });

  it("m.room.create keeps creator before v11 and all content from v11", () => {
    const content = { creator: "@alice:x", room_version: "9", "m.federate": false, predecessor: { room_id: "!old:x" } };
    expectContent("m.room.create", content, (v) => (v >= 11 ? content : { creator: "@alice:x" }));
  });

  it("m.room.join_rules keeps join_rule, and allow from v8", () => {
    const allow = [{ type: "m.room_membership", room_id: "!space:x" }];
    const content = { join_rule: "restricted", allow, other: 1 };
    expectContent("m.room.join_rules", content, (v) => (v >= 8 ? { join_rule: "restricted", allow } : { join_rule: "restricted" }));
  });

  it("m.room.power_levels keeps the listed keys, and invite from v11", () => {
    const kept = { ban: 50, events: { "m.room.name": 50 }, events_default: 0, kick: 50, redact: 50, state_default: 50, users: { "@a:x": 100 }, users_default: 0 };
    const content = { ...kept, invite: 0, notifications: { room: 50 }, historical: 100 };
    expectContent("m.room.power_levels", content, (v) => (v >= 11 ? { ...kept, invite: 0 } : kept));
  });

  it("m.room.aliases keeps aliases only in v1–v5", () => {
    const content = { aliases: ["#a:x"], other: 1 };
    expectContent("m.room.aliases", content, (v) => (v <= 5 ? { aliases: ["#a:x"] } : {}));
  });

  it("m.room.history_visibility keeps history_visibility", () => {
    expectContent("m.room.history_visibility", { history_visibility: "shared", x: 1 }, () => ({ history_visibility: "shared" }));
  });

  it("m.room.redaction keeps content.redacts from v11 (top-level redacts is never kept)", () => {
    const content = { redacts: "$target", reason: "spam" };
    expectContent("m.room.redaction", content, (v) => (v >= 11 ? { redacts: "$target" } : {}));
    const topLevel = redactEvent(event("m.room.redaction", {}, { redacts: "$target" }), getRoomVersion("10"));
    assert.equal("redacts" in topLevel, false);
  });

  it("strips everything from other event types, including keys that look special", () => {
    expectContent("m.room.topic", { topic: "t", membership: "join", creator: "@a:x" }, () => ({}));
  });
});

describe("redaction: unsigned, copies and mutation", () => {
  it("drops unsigned by default and keeps age_ts/replaces_state on request (Synapse)", () => {
    const v10 = getRoomVersion("10");
    assert.equal("unsigned" in redactEvent(event("m.room.message", {}), v10), false);
    assert.deepEqual(redactEvent(event("m.room.message", {}), v10, { keepUnsigned: true }).unsigned, { age_ts: 1, replaces_state: "$old" });
    const noUnsigned = event("m.room.message", {});
    delete noUnsigned.unsigned;
    assert.equal("unsigned" in redactEvent(noUnsigned, v10, { keepUnsigned: true }), false);
  });

  it("never mutates its input and returns an independent copy", () => {
    for (const id of ALL_VERSIONS) {
      const input = deepFreeze(event("m.room.create", { creator: "@a:x", nested: { deep: [1] } }));
      const redacted = redactEvent(input, getRoomVersion(id));
      (redacted.signatures as JsonObject)["other"] = {};
      (redacted.prev_events as string[]).push("$more");
      (redacted.content as JsonObject)["added"] = true;
      assert.deepEqual((input.signatures as JsonObject)["other"], undefined);
      assert.deepEqual(input.prev_events, ["$prev"]);
    }
  });

  it("the hashing view equals the redacted event without signatures", () => {
    for (const id of ALL_VERSIONS) {
      const version = getRoomVersion(id);
      const input = deepFreeze(event("m.room.power_levels", { users: { "@a:x": 100 }, junk: 1 }));
      const { signatures: _s, ...expected } = redactEvent(input, version);
      assert.deepEqual(redactedForHashing(input, version), expected);
    }
  });
});
