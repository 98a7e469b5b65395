import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64 } from "../../src/protocol/base64.js";
import type { Pdu } from "../../src/protocol/event.js";
import { computeEventId, eventIdFromReferenceHash } from "../../src/protocol/event-id.js";
import { canonicalJson } from "../../src/protocol/canonical-json.js";
import {
  addEventSignature,
  checkEventSignaturesAndHashes,
  hashAndSignEvent,
  hashAndSignNewEvent,
  requiredSignatureServers,
  signatureRequirements,
  verifyEventSignatures,
} from "../../src/protocol/event-signing.js";
import type { VerifyKey, VerifyKeyLookup } from "../../src/protocol/event-signing.js";
import { redactEvent } from "../../src/protocol/redaction.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { generateSigningKey, signingKeyFromSeed } from "../../src/protocol/signing-key.js";
import type { SigningKey } from "../../src/protocol/signing-key.js";

const v = (id: string) => getRoomVersion(id);
const V1_TO_V10 = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

// content/appendices.md "Cryptographic Test Vectors": seed, server "domain", key "ed25519:1".
const appendixKey = signingKeyFromSeed("1", decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));

describe("event signing: appendix vectors (valid for the v1–v10 redaction rules)", () => {
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
  const minimalSigned = {
    auth_events: [],
    content: {},
    depth: 3,
    hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
    origin: "domain",
    origin_server_ts: 1000000,
    prev_events: [],
    room_id: "!x:domain",
    sender: "@a:domain",
    signatures: {
      domain: {
        "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
      },
    },
    type: "X",
    unsigned: { age_ts: 1000000 },
  };
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
  const redactableSigned = {
    content: { body: "Here is the message content" },
    event_id: "$0:domain",
    hashes: { sha256: "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g" },
    origin: "domain",
    origin_server_ts: 1000000,
    type: "m.room.message",
    room_id: "!r:domain",
    sender: "@u:domain",
    signatures: {
      domain: {
        "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
      },
    },
    unsigned: { age_ts: 1000000 },
  };

  it("signs the minimal event", () => {
    for (const id of V1_TO_V10) assert.deepEqual(hashAndSignEvent(minimal, v(id), "domain", appendixKey), minimalSigned, `room version ${id}`);
  });

  it("signs the event with redactable content", () => {
    for (const id of V1_TO_V10) {
      assert.deepEqual(hashAndSignEvent(redactable, v(id), "domain", appendixKey), redactableSigned, `room version ${id}`);
    }
  });

  it("gives another signature under the v11 rules, which drop `origin` (SOURCE.md's note)", () => {
    const signed = hashAndSignEvent(minimal, v("11"), "domain", appendixKey);
    assert.equal(signed.hashes.sha256, minimalSigned.hashes.sha256);
    assert.notEqual(signed.signatures.domain!["ed25519:1"], minimalSigned.signatures.domain["ed25519:1"]);
  });

  it("never mutates its input", () => {
    const copy = structuredClone(minimal);
    hashAndSignEvent(minimal, v("1"), "domain", appendixKey);
    assert.deepEqual(minimal, copy);
  });
});

describe("signing a new event of this server", () => {
  const ALL = [...V1_TO_V10, "11", "12"];
  const drafts = (version: string): Record<string, unknown>[] => {
    const v1 = v(version).eventIdFormat === "v1";
    const base = { room_id: "!room:a.example", sender: "@alice:a.example", depth: 7, origin_server_ts: 1_700_000_000_000, prev_events: [], auth_events: [], ...(v1 ? { event_id: "$local:a.example" } : {}) };
    return [
      { ...base, type: "m.room.message", content: { msgtype: "m.text", body: "héllo \u2028 \"quoted\" 😀", "m.mentions": { user_ids: ["@b:x"] } } },
      { ...base, type: "m.room.member", state_key: "@alice:a.example", content: { membership: "join", displayname: "Alice", join_authorised_via_users_server: "@r:b.example" } },
      { ...base, type: "m.room.power_levels", state_key: "", content: { users: { "@alice:a.example": 100 }, events: {}, ban: 50 } },
      { ...base, type: "m.room.redaction", redacts: "$target", content: { redacts: "$target", reason: "spam" } },
    ];
  };
  it("stores the canonical JSON of what it signed and names it by the reference hash, in every room version", () => {
    for (const version of ALL) {
      for (const draft of drafts(version)) {
        const { signed, referenceHash, json } = hashAndSignNewEvent(draft, v(version), "a.example", keyOf("a.example"));
        assert.deepEqual(signed, hashAndSignEvent(draft, v(version), "a.example", keyOf("a.example")), `v${version} ${String(draft["type"])}`);
        assert.equal(json, canonicalJson(signed as never, { lenient: !v(version).strictCanonicalJson }), `v${version} ${String(draft["type"])}`);
        if (v(version).eventIdFormat !== "v1") assert.equal(eventIdFromReferenceHash(referenceHash, v(version)), computeEventId(signed, v(version)), `v${version} ${String(draft["type"])}`);
      }
    }
  });
});

// ---- verification ---------------------------------------------------------------------------------

const keys = new Map<string, SigningKey>();
function keyOf(server: string): SigningKey {
  let key = keys.get(server);
  if (!key) keys.set(server, (key = generateSigningKey("k1")));
  return key;
}
function lookupFor(validUntilTs = Number.MAX_SAFE_INTEGER, extra: Record<string, VerifyKey> = {}): VerifyKeyLookup {
  return (server, keyId) => extra[`${server} ${keyId}`] ?? (keys.has(server) && keyId === "ed25519:k1" ? { publicKey: keyOf(server).publicKey, validUntilTs } : undefined);
}

function pdu(version: string, overrides: Partial<Pdu> = {}): Pdu {
  const v1 = getRoomVersion(version).eventIdFormat === "v1";
  return {
    type: "m.room.message",
    room_id: getRoomVersion(version).roomIdFromCreateEvent ? "!whFr8-nJz20UtfpNv5ljd9IOFstlR822eh0BBwSWqi4" : "!room:a.example",
    sender: "@alice:a.example",
    content: { msgtype: "m.text", body: "hello" },
    depth: 5,
    origin_server_ts: 1_700_000_000_000,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: "" },
    signatures: {},
    ...(v1 ? { event_id: "$local:a.example" } : {}),
    ...overrides,
  };
}

function signedBy(event: Pdu, version: string, ...servers: string[]): Pdu {
  let out = hashAndSignEvent(event, v(version), servers[0]!, keyOf(servers[0]!));
  for (const server of servers.slice(1)) out = addEventSignature(out, v(version), server, keyOf(server));
  return out;
}

describe("which servers must sign", () => {
  it("the sender's server", () => {
    assert.deepEqual(requiredSignatureServers(pdu("10"), v("10")), ["a.example"]);
  });

  it("v1–2: also the server of the event ID when it differs", () => {
    assert.deepEqual(requiredSignatureServers(pdu("1", { event_id: "$x:b.example" }), v("1")), ["a.example", "b.example"]);
    assert.deepEqual(requiredSignatureServers(pdu("2"), v("2")), ["a.example"]);
  });

  it("third-party invites do not need the sender's server (spec and Synapse)", () => {
    const content = { membership: "invite", third_party_invite: { signed: { mxid: "@c:c.example", token: "t" } } };
    assert.deepEqual(requiredSignatureServers(pdu("10", { type: "m.room.member", state_key: "@c:c.example", content }), v("10")), []);
  });

  it("restricted joins (v8+) need the authorising resident server", () => {
    const join = { type: "m.room.member", state_key: "@alice:a.example", content: { membership: "join", join_authorised_via_users_server: "@bob:b.example" } };
    assert.deepEqual(requiredSignatureServers(pdu("8", join), v("8")), ["a.example", "b.example"]);
    assert.deepEqual(requiredSignatureServers(pdu("7", join), v("7")), ["a.example"]);
  });

  it("lists the ed25519 key IDs to fetch and the validity the keys need (v5+)", () => {
    const event = pdu("5", { signatures: { "a.example": { "ed25519:k1": "x", "ed25519:k2": "y", "curve25519:z": "w" } } });
    assert.deepEqual(signatureRequirements(event, v("5")), [{ serverName: "a.example", keyIds: ["ed25519:k1", "ed25519:k2"], minimumValidUntilTs: 1_700_000_000_000 }]);
    assert.equal(signatureRequirements(event, v("4"))[0]!.minimumValidUntilTs, 0);
  });
});

describe("verifying event signatures", () => {
  it("accepts a correctly signed event in every room version, and its redacted copy", () => {
    for (const id of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]) {
      const event = signedBy(pdu(id), id, "a.example");
      assert.deepEqual(verifyEventSignatures(event, v(id), lookupFor()), { ok: true }, `room version ${id}`);
      assert.deepEqual(verifyEventSignatures(redactEvent(event, v(id)), v(id), lookupFor()), { ok: true }, `redacted, room version ${id}`);
    }
  });

  it("rejects missing, wrong and tampered signatures", () => {
    const event = signedBy(pdu("10"), "10", "a.example");
    assert.equal(verifyEventSignatures({ ...event, signatures: {} }, v("10"), lookupFor()).ok, false);
    assert.equal(verifyEventSignatures({ ...event, depth: 6 }, v("10"), lookupFor()).ok, false);
    const forged = signedBy(pdu("10"), "10", "b.example");
    forged.signatures = { "a.example": { "ed25519:k1": forged.signatures["b.example"]!["ed25519:k1"]! } };
    assert.equal(verifyEventSignatures(forged, v("10"), lookupFor()).ok, false);
    // Redactable content is not covered by the signature (the content hash covers it).
    assert.equal(verifyEventSignatures({ ...event, content: { body: "changed" } }, v("10"), lookupFor()).ok, true);
  });

  it("skips unknown keys but needs at least one known valid signature", () => {
    const event = signedBy(pdu("10"), "10", "a.example");
    const extra = { ...event, signatures: { "a.example": { ...event.signatures["a.example"], "ed25519:unknown": "garbage" } } };
    assert.equal(verifyEventSignatures(extra, v("10"), lookupFor()).ok, true);
    assert.equal(verifyEventSignatures(event, v("10"), () => undefined).ok, false);
  });

  it("v5+: ignores keys that expired before origin_server_ts; v1–4 do not", () => {
    for (const [id, expected] of [["4", true], ["5", true], ["12", true]] as const) {
      const event = signedBy(pdu(id), id, "a.example");
      assert.equal(verifyEventSignatures(event, v(id), lookupFor(1_700_000_000_000)).ok, expected);
    }
    for (const [id, expected] of [["3", true], ["4", true], ["5", false], ["12", false]] as const) {
      const event = signedBy(pdu(id), id, "a.example");
      assert.equal(verifyEventSignatures(event, v(id), lookupFor(1_699_999_999_999)).ok, expected, `room version ${id}`);
    }
  });

  it("v1–2 need the event ID's server too; restricted joins need the resident server", () => {
    const foreignId = pdu("1", { event_id: "$x:b.example" });
    assert.equal(verifyEventSignatures(signedBy(foreignId, "1", "a.example"), v("1"), lookupFor()).ok, false);
    keyOf("b.example");
    assert.equal(verifyEventSignatures(signedBy(foreignId, "1", "a.example", "b.example"), v("1"), lookupFor()).ok, true);
    const join = pdu("9", { type: "m.room.member", state_key: "@alice:a.example", content: { membership: "join", join_authorised_via_users_server: "@bob:b.example" } });
    assert.equal(verifyEventSignatures(signedBy(join, "9", "a.example"), v("9"), lookupFor()).ok, false);
    assert.equal(verifyEventSignatures(signedBy(join, "9", "a.example", "b.example"), v("9"), lookupFor()).ok, true);
  });

  it("fails cleanly on unusable senders and non-canonical events", () => {
    assert.equal(verifyEventSignatures(pdu("10", { sender: "nobody" }), v("10"), lookupFor()).ok, false);
    const float = signedBy(pdu("5", { content: { n: 1.5 } }), "5", "a.example");
    assert.equal(verifyEventSignatures(float, v("5"), lookupFor()).ok, true);
    assert.equal(verifyEventSignatures({ ...float, depth: 1.5 }, v("6"), lookupFor()).ok, false);
  });
});

describe("checking a received event", () => {
  it("returns the event ID from the signed bytes and the event as received when the hash matches", () => {
    for (const id of ["1", "3", "4", "11", "12"]) {
      const event = signedBy(pdu(id), id, "a.example");
      const result = checkEventSignaturesAndHashes(event, v(id), lookupFor());
      assert.ok(result.ok);
      assert.equal(result.eventId, computeEventId(event, v(id)));
      assert.equal(result.contentHashValid, true);
      assert.equal(result.event, event);
    }
  });

  it("continues with the redacted copy when only the content hash fails", () => {
    const event = signedBy(pdu("10"), "10", "a.example");
    const result = checkEventSignaturesAndHashes({ ...event, content: { body: "tampered" } }, v("10"), lookupFor());
    assert.ok(result.ok);
    assert.equal(result.contentHashValid, false);
    assert.deepEqual(result.event.content, {});
    assert.equal(result.eventId, computeEventId(event, v("10")));
  });

  it("drops events whose signatures fail", () => {
    const event = signedBy(pdu("10"), "10", "a.example");
    assert.equal(checkEventSignaturesAndHashes({ ...event, origin_server_ts: 1 }, v("10"), lookupFor()).ok, false);
  });
});
