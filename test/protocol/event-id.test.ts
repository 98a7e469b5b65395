import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  computeEventId,
  EventIdError,
  eventIdFromReferenceHash,
  generateV1EventId,
  isValidEventId,
} from "../../src/protocol/event-id.js";
import type { JsonObject } from "../../src/protocol/json.js";
import {
  computeRoomId,
  createEventIdFromRoomId,
  generateRoomIdWithDomain,
  isValidRoomId,
  roomIdFromCreateEventId,
  RoomIdError,
} from "../../src/protocol/room-id.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";

const v = (id: string) => getRoomVersion(id);

// Expected IDs computed independently (Python: canonical JSON via json.dumps + hashlib + base64),
// from hand-redacted copies of these events.
const message: JsonObject = {
  type: "m.room.message",
  room_id: "!room:example.org",
  sender: "@alice:example.org",
  content: { msgtype: "m.text", body: "Hello" },
  depth: 8,
  origin: "example.org",
  origin_server_ts: 1700000000000,
  prev_events: ["$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
  auth_events: ["$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"],
  hashes: { sha256: "dGhpcyBpcyBub3QgYSByZWFsIGhhc2g" },
  signatures: { "example.org": { "ed25519:1": "sig" } },
  unsigned: { age_ts: 1 },
};

const create12: JsonObject = {
  type: "m.room.create",
  state_key: "",
  sender: "@alice:example.org",
  content: { room_version: "12", additional_creators: ["@bob:example.org"], "m.federate": true },
  depth: 1,
  origin_server_ts: 1700000000000,
  prev_events: [],
  auth_events: [],
  hashes: { sha256: "dGhpcyBpcyBub3QgYSByZWFsIGhhc2g" },
  signatures: { "example.org": { "ed25519:1": "sig" } },
};

describe("event IDs", () => {
  it("v3: standard unpadded base64 of the reference hash", () => {
    assert.equal(computeEventId(message, v("3")), "$/nnTKelVW+2vnkrM9NZc09ZgbbBhtFsS7+5pQME0q3o");
  });

  it("v4–v10: URL-safe unpadded base64 of the same hash", () => {
    for (const id of ["4", "5", "6", "7", "8", "9", "10"]) {
      assert.equal(computeEventId(message, v(id)), "$_nnTKelVW-2vnkrM9NZc09ZgbbBhtFsS7-5pQME0q3o", `room version ${id}`);
    }
  });

  it("v11–v12: the v11 redaction rules drop `origin`, so the same JSON gets another ID", () => {
    for (const id of ["11", "12"]) assert.equal(computeEventId(message, v(id)), "$kDwTE7rF64_5jHSncMafBJ4q2IQ6XZ_u9sE84ZKcrC0");
  });

  it("does not depend on signatures, unsigned or redactable content", () => {
    const changed = { ...message, signatures: {}, unsigned: { age: 3 }, content: { body: "edited" } };
    assert.equal(computeEventId(changed, v("10")), computeEventId(message, v("10")));
  });

  it("v1–2: the origin's event_id, which must be present", () => {
    assert.equal(computeEventId({ ...message, event_id: "$abc:example.org" }, v("1")), "$abc:example.org");
    assert.throws(() => computeEventId(message, v("2")), EventIdError);
    assert.throws(() => eventIdFromReferenceHash(new Uint8Array(32), v("1")), EventIdError);
  });

  it("generates v1 IDs on our server name", () => {
    const a = generateV1EventId("example.org:8448");
    assert.match(a, /^\$[A-Za-z0-9]{18}:example\.org:8448$/);
    assert.notEqual(a, generateV1EventId("example.org:8448"));
    assert.ok(isValidEventId(a, v("1")));
  });

  it("checks the format of each version", () => {
    const hash = "$_nnTKelVW-2vnkrM9NZc09ZgbbBhtFsS7-5pQME0q3o";
    const std = "$/nnTKelVW+2vnkrM9NZc09ZgbbBhtFsS7+5pQME0q3o";
    assert.ok(isValidEventId(hash, v("4")) && isValidEventId(hash, v("12")));
    assert.ok(!isValidEventId(std, v("4")));
    assert.ok(isValidEventId(std, v("3")));
    assert.ok(!isValidEventId(hash, v("3")));
    assert.ok(!isValidEventId("$abc:example.org", v("4")));
    assert.ok(!isValidEventId(hash.slice(0, -1), v("4")));
    assert.ok(!isValidEventId(`${hash}A`, v("4")));
    assert.ok(!isValidEventId(`!${hash.slice(1)}`, v("4")));
    assert.ok(isValidEventId("$abc:example.org", v("1")));
    for (const bad of ["abc:example.org", "$abc", "$:example.org", "$abc:", `$${"a".repeat(250)}:example.org`]) {
      assert.ok(!isValidEventId(bad, v("1")), bad);
    }
  });
});

describe("room IDs", () => {
  it("v12: `!` + URL-safe reference hash of the create event", () => {
    assert.equal(computeRoomId(create12, v("12")), "!whFr8-nJz20UtfpNv5ljd9IOFstlR822eh0BBwSWqi4");
  });

  it("the room ID and the create event's ID are the same hash with different sigils", () => {
    const roomId = computeRoomId(create12, v("12"));
    const eventId = computeEventId(create12, v("12"));
    assert.equal(createEventIdFromRoomId(roomId), eventId);
    assert.equal(roomIdFromCreateEventId(eventId), roomId);
  });

  it("v12 create content is all covered (v11 rules), unlike a v10 create", () => {
    const other = { ...create12, content: { ...(create12.content as JsonObject), "m.federate": false } };
    assert.notEqual(computeRoomId(other, v("12")), computeRoomId(create12, v("12")));
    assert.equal(computeEventId(other, v("10")), computeEventId(create12, v("10")));
    assert.equal(computeEventId(create12, v("10")), "$rE1ZQqU04SSRK3P1_icqq02xF0FDxHzioxnOX1fC1Y0");
  });

  it("refuses to derive room IDs before v12", () => {
    assert.throws(() => computeRoomId(create12, v("11")), RoomIdError);
  });

  it("checks the room ID form of each version", () => {
    const hashId = "!whFr8-nJz20UtfpNv5ljd9IOFstlR822eh0BBwSWqi4";
    assert.ok(isValidRoomId(hashId, v("12")));
    assert.ok(!isValidRoomId("!room:example.org", v("12")));
    assert.ok(isValidRoomId("!room:example.org", v("11")));
    assert.ok(!isValidRoomId(hashId, v("11")));
    for (const bad of ["room:example.org", "!room", "!:example.org", "!room:", "!a\u0000b:example.org", `!${"a".repeat(250)}:example.org`]) {
      assert.ok(!isValidRoomId(bad, v("1")), JSON.stringify(bad));
    }
    const generated = generateRoomIdWithDomain("example.org");
    assert.match(generated, /^![A-Za-z]{18}:example\.org$/);
    assert.ok(isValidRoomId(generated, v("10")));
  });
});
