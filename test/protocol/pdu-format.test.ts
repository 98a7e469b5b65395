import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { canonicalJson } from "../../src/protocol/canonical-json.js";
import type { Pdu } from "../../src/protocol/event.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import type { JsonObject, JsonValue } from "../../src/protocol/json.js";
import { checkPduFormat, MAX_PDU_BYTES, PduFormatError, toRoomEvent } from "../../src/protocol/pdu-format.js";
import { computeRoomId, createEventIdFromRoomId } from "../../src/protocol/room-id.js";
import { getRoomVersion, SUPPORTED_ROOM_VERSIONS } from "../../src/protocol/room-versions.js";

const v = (id: string) => getRoomVersion(id);
const HASH_A = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const HASH_B = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const V12_ROOM = `!${"C".repeat(43)}`;

/** A well-formed PDU of the given room version (the shapes of pdu_v1/v3/v4/v6/v11/v12.yaml). */
function validPdu(version: string): JsonObject {
  const format = v(version).eventIdFormat;
  const refs = (ids: string[]): JsonValue =>
    format === "v1" ? ids.map((id) => [`${id}:example.org`, { sha256: HASH_A }]) : ids.map((id) => (format === "v3" ? `$${id.replace(/A/g, "+")}` : `$${id}`));
  return {
    ...(format === "v1" ? { event_id: "$abc:example.org" } : {}),
    room_id: v(version).roomIdFromCreateEvent ? V12_ROOM : "!room:example.org",
    sender: "@alice:example.com",
    origin_server_ts: 1404838188000,
    depth: 12,
    type: "m.room.message",
    content: { key: "value" },
    prev_events: refs([format === "v1" ? "$prev" : HASH_A]),
    auth_events: refs([format === "v1" ? "$auth" : HASH_B]),
    hashes: { sha256: "thishashcoversallfieldsincasethisisredacted" },
    signatures: { "example.com": { "ed25519:key_version": "sig" } },
    unsigned: { age: 4612 },
  };
}

function assertFormatError(pdu: unknown, version: string, message?: RegExp): PduFormatError {
  let caught: unknown;
  try {
    checkPduFormat(pdu, v(version));
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PduFormatError, `expected PduFormatError, got ${String(caught)}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe("PDU format: valid events", () => {
  it("accepts the spec's shape in every room version", () => {
    for (const id of SUPPORTED_ROOM_VERSIONS) checkPduFormat(validPdu(id), v(id));
  });

  it("accepts a v12 create event without room_id", () => {
    const create: JsonObject = { ...validPdu("12"), type: "m.room.create", state_key: "", prev_events: [], auth_events: [] };
    delete create.room_id;
    checkPduFormat(create, v("12"));
  });

  it("accepts big integers before v6 (lenient canonical JSON) but not after", () => {
    const big = { ...validPdu("5"), depth: 2n ** 62n, content: { n: 2n ** 60n, f: 1.5 } };
    checkPduFormat(big, v("5"));
    assertFormatError({ ...validPdu("6"), content: { n: 2n ** 60n } }, "6", /canonical/);
    assertFormatError({ ...validPdu("6"), content: { f: 1.5 } }, "6", /canonical/);
    assertFormatError({ ...validPdu("6"), depth: 2 ** 53 }, "6", /canonical/);
  });
});

describe("PDU format: size limits", () => {
  it("allows exactly 65536 bytes of canonical JSON (signatures and unsigned included), not one more", () => {
    const pdu = validPdu("10");
    const base = Buffer.byteLength(canonicalJson({ ...pdu, content: { pad: "" } }));
    const exact = { ...pdu, content: { pad: "x".repeat(MAX_PDU_BYTES - base) } };
    assert.equal(Buffer.byteLength(canonicalJson(exact)), MAX_PDU_BYTES);
    checkPduFormat(exact, v("10"));
    assertFormatError({ ...pdu, content: { pad: "x".repeat(MAX_PDU_BYTES - base + 1) } }, "10", /larger than 65536/);
    // Bytes, not characters: "é" is two bytes.
    assertFormatError({ ...pdu, content: { pad: "é".repeat((MAX_PDU_BYTES - base) / 2 + 1) } }, "10", /larger/);
    assertFormatError({ ...pdu, unsigned: { junk: "x".repeat(MAX_PDU_BYTES) } }, "10", /larger/);
  });

  it("measures the canonical JSON the caller already has, when given", () => {
    const pdu = validPdu("10");
    const base = Buffer.byteLength(canonicalJson({ ...pdu, content: { pad: "" } }));
    const exact = { ...pdu, content: { pad: "é".repeat((MAX_PDU_BYTES - base) / 2) } };
    checkPduFormat(exact, v("10"), canonicalJson(exact));
    const over = { ...pdu, content: { pad: "é".repeat((MAX_PDU_BYTES - base) / 2 + 1) } };
    assert.throws(() => checkPduFormat(over, v("10"), canonicalJson(over)), /larger than 65536/);
  });

  it("limits type, state_key, sender, room_id and event_id to 255 bytes", () => {
    const long = "a".repeat(254);
    assertFormatError({ ...validPdu("10"), type: `m.${long}` }, "10", /type/);
    assertFormatError({ ...validPdu("10"), state_key: `x${long}xxxxxx` }, "10", /state_key/);
    assertFormatError({ ...validPdu("10"), sender: `@${long}:example.org` }, "10", /sender/);
    assertFormatError({ ...validPdu("10"), room_id: `!${long}:example.org` }, "10", /room_id/);
    assertFormatError({ ...validPdu("1"), event_id: `$${long}:example.org` }, "1", /event_id/);
    checkPduFormat({ ...validPdu("10"), state_key: "x".repeat(255) }, v("10"));
  });

  it("counts identifiers in bytes; over 255 bytes but not code points is a rejection before v11 (Synapse)", () => {
    const state = "é".repeat(200); // 200 code points, 400 bytes
    assert.equal(assertFormatError({ ...validPdu("10"), state_key: state }, "10").persistAsRejected, true);
    assert.equal(assertFormatError({ ...validPdu("11"), state_key: state }, "11").persistAsRejected, false);
    assert.equal(assertFormatError({ ...validPdu("10"), state_key: "x".repeat(256) }, "10").persistAsRejected, false);
  });

  it("limits prev_events to 20 and auth_events to 10", () => {
    for (const id of ["1", "3", "4", "12"]) {
      const pdu = validPdu(id);
      const prev = pdu.prev_events as JsonValue[];
      const auth = pdu.auth_events as JsonValue[];
      checkPduFormat({ ...pdu, prev_events: Array(20).fill(prev[0]), auth_events: Array(10).fill(auth[0]) }, v(id));
      assertFormatError({ ...pdu, prev_events: Array(21).fill(prev[0]) }, id, /prev_events/);
      assertFormatError({ ...pdu, auth_events: Array(11).fill(auth[0]) }, id, /auth_events/);
    }
  });
});

describe("PDU format: fields per room version", () => {
  it("requires the fields of pdu_base and the version", () => {
    const required: Record<string, string[]> = {
      "1": ["event_id", "room_id", "sender", "type", "content", "depth", "origin_server_ts", "hashes", "signatures", "prev_events", "auth_events"],
      "3": ["room_id", "sender", "type", "content", "depth", "origin_server_ts", "hashes", "signatures", "prev_events", "auth_events"],
      "12": ["room_id", "sender", "type", "content", "depth", "origin_server_ts", "hashes", "signatures", "prev_events", "auth_events"],
    };
    for (const [id, fields] of Object.entries(required)) {
      for (const field of fields) {
        const pdu = validPdu(id);
        delete pdu[field];
        assertFormatError(pdu, id);
      }
    }
  });

  it("rejects wrong types", () => {
    const cases: [string, JsonValue][] = [
      ["type", 5], ["sender", true], ["room_id", []], ["state_key", null], ["content", "text"], ["content", [1]],
      ["depth", "12"], ["depth", 1.5], ["depth", -1], ["origin_server_ts", "now"], ["origin_server_ts", 1.5],
      ["hashes", "x"], ["hashes", {}], ["hashes", { sha256: 1 }], ["hashes", { sha256: "x", other: 2 }],
      ["signatures", []], ["signatures", { "a.example": "sig" }], ["signatures", { "a.example": { "ed25519:1": 5 } }],
      ["prev_events", "$x"], ["prev_events", [5]], ["auth_events", {}], ["redacts", 5],
    ];
    for (const [field, value] of cases) assertFormatError({ ...validPdu("10"), [field]: value }, "10", undefined);
    assertFormatError(null, "10");
    assertFormatError([validPdu("10")], "10");
    assertFormatError("event", "10");
  });

  it("caps depth at 2^63 − 1", () => {
    checkPduFormat({ ...validPdu("5"), depth: 2n ** 63n - 1n }, v("5"));
    assertFormatError({ ...validPdu("5"), depth: 2n ** 63n }, "5", /depth/);
  });

  it("v1–2: event_id and [id, {sha256}] pairs", () => {
    assertFormatError({ ...validPdu("1"), event_id: "no-sigil" }, "1", /event_id/);
    assertFormatError({ ...validPdu("1"), prev_events: ["$prev:example.org"] }, "1", /pairs/);
    assertFormatError({ ...validPdu("1"), prev_events: [["$prev:example.org"]] }, "1", /pairs/);
    assertFormatError({ ...validPdu("1"), prev_events: [["$prev:example.org", {}]] }, "1", /sha256/);
    assertFormatError({ ...validPdu("2"), auth_events: [["bad", { sha256: "x" }]] }, "2", /auth_events/);
  });

  it("v3+: plain event IDs of the version's alphabet, and no event_id", () => {
    assertFormatError({ ...validPdu("3"), event_id: `$${HASH_A}` }, "3", /event_id/);
    assertFormatError({ ...validPdu("4"), prev_events: [`$${HASH_A.slice(1)}+`] }, "4", /prev_events/);
    assertFormatError({ ...validPdu("3"), prev_events: [`$${HASH_A.slice(1)}-`] }, "3", /prev_events/);
    assertFormatError({ ...validPdu("4"), auth_events: ["$abc:example.org"] }, "4", /auth_events/);
    assertFormatError({ ...validPdu("4"), prev_events: [[`$${HASH_A}`, { sha256: "x" }]] }, "4", /prev_events/);
  });

  it("room IDs: `!opaque:domain` before v12, the hash form from v12", () => {
    assertFormatError({ ...validPdu("11"), room_id: "room:example.org" }, "11", /room_id/);
    assertFormatError({ ...validPdu("11"), room_id: V12_ROOM }, "11", /room_id/);
    assertFormatError({ ...validPdu("12"), room_id: "!room:example.org" }, "12", /room_id/);
  });

  it("v12: a create event must not have a room_id; other events must not list the create event", () => {
    const create: JsonObject = { ...validPdu("12"), type: "m.room.create", state_key: "", prev_events: [], auth_events: [] };
    assertFormatError(create, "12", /room_id/);
    const listsCreate = { ...validPdu("12"), auth_events: [createEventIdFromRoomId(V12_ROOM)] };
    assertFormatError(listsCreate, "12", /create event/);
    // Before v12 the create event is listed as usual.
    checkPduFormat({ ...validPdu("11"), auth_events: [createEventIdFromRoomId(V12_ROOM)] }, v("11"));
  });

  it("the sender must look like a user ID", () => {
    for (const sender of ["alice", "@alice", "@alice:", "#alice:example.org"]) assertFormatError({ ...validPdu("10"), sender }, "10", /sender/);
    // Historical IDs with odd localparts exist; like Synapse we only need the server name out of it.
    checkPduFormat({ ...validPdu("10"), sender: "@:example.org" }, v("10"));
  });

  it("never throws anything but PduFormatError (property)", () => {
    const keys = ["event_id", "room_id", "sender", "type", "state_key", "content", "depth", "origin_server_ts", "hashes", "signatures", "prev_events", "auth_events", "redacts", "unsigned"];
    const anyValue = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<JsonValue>,
      fc.bigInt(),
      fc.double(),
      fc.constant(undefined),
      fc.string().map((s) => `${s}\ud800`),
      fc.array(fc.jsonValue(), { maxLength: 30 }) as fc.Arbitrary<JsonValue>,
    );
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_ROOM_VERSIONS), fc.dictionary(fc.constantFrom(...keys), anyValue), (id, changes) => {
        const pdu = { ...validPdu(id), ...changes };
        try {
          checkPduFormat(pdu, v(id));
        } catch (error) {
          assert.ok(error instanceof PduFormatError, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("turns pathological nesting into a PduFormatError", () => {
    let deep: JsonValue = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assertFormatError({ ...validPdu("10"), content: { deep } }, "10");
  });
});

describe("toRoomEvent", () => {
  it("computes the event ID from v3 and takes event_id for v1–2", () => {
    const pdu4 = validPdu("4") as unknown as Pdu;
    const event = toRoomEvent(pdu4, v("4"));
    assert.equal(event.event_id, computeEventId(pdu4, v("4")));
    assert.deepEqual(event.prev_events, [`$${HASH_A}`]);
    assert.deepEqual(event.auth_events, [`$${HASH_B}`]);
    assert.equal(event.room_id, "!room:example.org");
    assert.equal(toRoomEvent(pdu4, v("4"), "$given").event_id, "$given");
    const v1 = toRoomEvent(validPdu("1") as unknown as Pdu, v("1"));
    assert.equal(v1.event_id, "$abc:example.org");
    assert.deepEqual(v1.prev_events, ["$prev:example.org"]);
    assert.deepEqual(v1.auth_events, ["$auth:example.org"]);
  });

  it("derives the room ID of a v12 create event", () => {
    const create: JsonObject = { ...validPdu("12"), type: "m.room.create", state_key: "", prev_events: [], auth_events: [] };
    delete create.room_id;
    const event = toRoomEvent(create as unknown as Pdu, v("12"));
    assert.equal(event.room_id, computeRoomId(create, v("12")));
    assert.equal(event.event_id, createEventIdFromRoomId(event.room_id));
    assert.equal(event.state_key, "");
  });

  it("reads redacts from the top level before v11 and from content from v11", () => {
    const base = { ...validPdu("10"), type: "m.room.redaction", redacts: "$top", content: { redacts: "$inner" } } as unknown as Pdu;
    assert.equal(toRoomEvent(base, v("10")).redacts, "$top");
    const v11 = { ...validPdu("11"), type: "m.room.redaction", redacts: "$top", content: { redacts: "$inner" } } as unknown as Pdu;
    assert.equal(toRoomEvent(v11, v("11")).redacts, "$inner");
    assert.equal("redacts" in toRoomEvent(validPdu("11") as unknown as Pdu, v("11")), false);
    assert.equal("state_key" in toRoomEvent(validPdu("11") as unknown as Pdu, v("11")), false);
  });

  it("turns big integers of old rooms into numbers", () => {
    const pdu = { ...validPdu("5"), depth: 12n, origin_server_ts: 1404838188000n } as unknown as Pdu;
    const event = toRoomEvent(pdu, v("5"));
    assert.equal(event.depth, 12);
    assert.equal(event.origin_server_ts, 1404838188000);
  });
});
