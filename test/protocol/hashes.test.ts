import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { canonicalJson, canonicalJsonBytes } from "../../src/protocol/canonical-json.js";
import { contentHashText, encodeEvent, referenceText } from "../../src/protocol/event-encoding.js";
import {
  computeContentHash,
  computeReferenceHash,
  contentHashBase64,
  referenceHashInput,
  verifyContentHash,
} from "../../src/protocol/hashes.js";
import type { JsonObject, JsonValue } from "../../src/protocol/json.js";
import { redactedForHashing } from "../../src/protocol/redaction.js";
import { getRoomVersion, SUPPORTED_ROOM_VERSIONS } from "../../src/protocol/room-versions.js";

const v1 = getRoomVersion("1");
const v5 = getRoomVersion("5");
const v6 = getRoomVersion("6");
const v10 = getRoomVersion("10");
const v11 = getRoomVersion("11");

// Expected values computed independently (Python: json.dumps(sort_keys, compact separators) + hashlib).
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

describe("content hash", () => {
  it("matches an independently computed value", () => {
    assert.equal(contentHashBase64(message, v10), "EYdUi5Lok4yCUu23zXCn4msHaTqezPMGTyBbyaSu03w");
  });

  it("matches the appendix event-signing examples", () => {
    const minimal = {
      room_id: "!x:domain",
      sender: "@a:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      signatures: {},
      hashes: {},
      type: "X",
      content: {},
      prev_events: [],
      auth_events: [],
      depth: 3,
      unsigned: { age_ts: 1000000 },
    };
    assert.equal(contentHashBase64(minimal, v1), "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos");
    const redactable = {
      content: { body: "Here is the message content" },
      event_id: "$0:domain",
      origin: "domain",
      origin_server_ts: 1000000,
      type: "m.room.message",
      room_id: "!r:domain",
      sender: "@u:domain",
      signatures: {},
      unsigned: { age_ts: 1000000 },
    };
    assert.equal(contentHashBase64(redactable, v1), "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
  });

  it("ignores unsigned, signatures and hashes but covers everything else", () => {
    const base = computeContentHash(message, v10);
    assert.deepEqual(computeContentHash({ ...message, unsigned: { age: 5 }, signatures: {}, hashes: { sha256: "x" } }, v10), base);
    const { unsigned: _u, signatures: _s, hashes: _h, ...bare } = message;
    assert.deepEqual(computeContentHash(bare, v10), base);
    assert.notDeepEqual(computeContentHash({ ...message, content: { body: "Hello!" } }, v10), base);
    assert.notDeepEqual(computeContentHash({ ...message, depth: 9 }, v10), base);
    assert.notDeepEqual(computeContentHash({ ...message, extra: true }, v10), base);
  });

  it("verifies hashes in either base64 alphabet and rejects wrong, missing or malformed ones", () => {
    const hash = contentHashBase64(message, v10);
    assert.equal(verifyContentHash({ ...message, hashes: { sha256: hash } }, v10), true);
    const urlSafe = Buffer.from(hash, "base64").toString("base64url");
    assert.equal(verifyContentHash({ ...message, hashes: { sha256: urlSafe } }, v10), true);
    const tampered = { ...message, hashes: { sha256: hash }, content: { body: "changed" } };
    assert.equal(verifyContentHash(tampered, v10), false);
    for (const hashes of [undefined, {}, { sha256: 5 }, { sha256: "not base64!" }, "x", []]) {
      assert.equal(verifyContentHash({ ...message, hashes } as JsonObject, v10), false);
    }
  });

  it("is lenient about big integers before v6 and refuses them from v6", () => {
    const big = { ...message, content: { n: 2n ** 62n } };
    assert.equal(contentHashBase64(big, v5).length, 43);
    assert.throws(() => computeContentHash(big, v6));
    assert.equal(verifyContentHash({ ...big, hashes: { sha256: contentHashBase64(big, v5) } }, v6), false);
    assert.equal(verifyContentHash({ ...big, hashes: { sha256: contentHashBase64(big, v5) } }, v5), true);
  });
});

describe("reference hash", () => {
  const digest = (value: JsonObject) => createHash("sha256").update(canonicalJsonBytes(value)).digest();

  it("is the sha256 of the redacted event without signatures and unsigned, hashes included", () => {
    const { unsigned: _u, signatures: _s, ...rest } = message;
    assert.deepEqual(computeReferenceHash(message, v10), digest({ ...rest, content: {} }));
    const { origin: _o, ...withoutOrigin } = rest;
    assert.deepEqual(computeReferenceHash(message, v11), digest({ ...withoutOrigin, content: {} }));
  });

  it("does not change with redactable content, signatures or unsigned; changes with hashes", () => {
    const base = computeReferenceHash(message, v10);
    assert.deepEqual(computeReferenceHash({ ...message, content: { body: "other" } }, v10), base);
    assert.deepEqual(computeReferenceHash({ ...message, signatures: { x: { "ed25519:a": "b" } } }, v10), base);
    assert.deepEqual(computeReferenceHash({ ...message, unsigned: {} }, v10), base);
    assert.notDeepEqual(computeReferenceHash({ ...message, hashes: { sha256: "other" } }, v10), base);
  });

  it("is computed leniently even in strict room versions, so stored events always have an ID", () => {
    const big = { ...message, depth: 2n ** 63n - 1n };
    assert.equal(computeReferenceHash(big, v10).length, 32);
    assert.throws(() => referenceHashInput(big, v10)); // the signed bytes stay strict
  });
});

describe("shared event encoding", () => {
  const types = ["m.room.message", "m.room.member", "m.room.create", "m.room.power_levels", "m.room.join_rules", "m.room.redaction", "m.room.aliases", "m.room.history_visibility"];
  const topKeys = ["event_id", "room_id", "sender", "state_key", "depth", "origin", "origin_server_ts", "prev_events", "auth_events", "hashes", "signatures", "unsigned", "membership", "prev_state", "redacts", "extra", "\u00e9t\u00e9", "\ud83d\ude00", "\uffff", "quo\"te", "back\\slash", "tab\t", "lone\ud800"];
  const contentKeys = ["membership", "join_authorised_via_users_server", "third_party_invite", "creator", "room_version", "join_rule", "allow", "users", "invite", "ban", "redacts", "aliases", "history_visibility", "body"];
  const value = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;
  const event = fc.record({
    type: fc.constantFrom(...types),
    content: fc.option(fc.oneof(fc.dictionary(fc.constantFrom(...contentKeys), value), value), { nil: undefined }),
    rest: fc.dictionary(fc.constantFrom(...topKeys), value),
  });

  it("is byte-for-byte canonical JSON of the content-hash input and of the redacted event (property)", () => {
    fc.assert(
      fc.property(event, fc.constantFrom(...SUPPORTED_ROOM_VERSIONS), fc.option(value, { nil: undefined }), (e, id, newHashes) => {
        const version = getRoomVersion(id);
        const input: JsonObject = { ...e.rest, type: e.type };
        if (e.content !== undefined) input.content = e.content;
        const { unsigned: _u, signatures: _s, hashes: _h, ...contentInput } = input;
        let expectedContent: string;
        try {
          expectedContent = canonicalJson(contentInput, { lenient: true });
        } catch {
          // Not encodable (a lone surrogate in a key): the shared encoder must refuse it too.
          assert.throws(() => encodeEvent(input, true));
          return;
        }
        const encoded = encodeEvent(input, true);
        assert.equal(contentHashText(encoded), expectedContent);
        assert.equal(referenceText(encoded, version), canonicalJson(redactedForHashing(input, version), { lenient: true }));
        if (newHashes !== undefined) {
          const rehashed = redactedForHashing({ ...input, hashes: newHashes }, version);
          assert.equal(referenceText(encoded, version, newHashes), canonicalJson(rehashed, { lenient: true }));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
