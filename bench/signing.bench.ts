// Event signing and verification throughput on a typical ~600-byte m.room.message PDU of room version 12,
// next to the bare ed25519 rate of the backend in use (the ceiling: each event costs one signature).
// Prints figures; asserts nothing about time.
// Run: node --import tsx bench/signing.bench.ts
import { canonicalJson } from "../src/protocol/canonical-json.js";
import { ed25519, nodeCryptoBackend, sodiumBackend } from "../src/protocol/ed25519.js";
import type { Ed25519Backend } from "../src/protocol/ed25519.js";
import type { Pdu } from "../src/protocol/event.js";
import type { JsonValue } from "../src/protocol/json.js";
import { checkEventSignaturesAndHashes, hashAndSignEvent } from "../src/protocol/event-signing.js";
import type { VerifyKeyLookup } from "../src/protocol/event-signing.js";
import { encodeBase64 } from "../src/protocol/base64.js";
import { eventIdFromReferenceHash } from "../src/protocol/event-id.js";
import { contentHashText, encodeEvent, referenceText } from "../src/protocol/event-encoding.js";
import { contentHashMatches, referenceHashInput, sha256 } from "../src/protocol/hashes.js";
import { getRoomVersion } from "../src/protocol/room-versions.js";
import { generateSigningKey } from "../src/protocol/signing-key.js";

const version = getRoomVersion("12");
const key = generateSigningKey("bench");
const serverName = "matrix.example.org";

function messagePdu(n: number): Omit<Pdu, "hashes" | "signatures"> {
  const id = (seed: string): string => `$${Buffer.from(`${seed}-${n}`.padEnd(32, "#")).toString("base64url").slice(0, 43)}`;
  return {
    auth_events: [id("power"), id("member"), id("join-rules")],
    content: {
      body: `Message number ${n}: the quick brown fox jumps over the lazy dog. Ça va? 日本語 ✓ See you at the meeting.`,
      msgtype: "m.text",
      "m.mentions": {},
    },
    depth: 1000 + n,
    origin_server_ts: 1_700_000_000_000 + n * 1337,
    prev_events: [id("prev")],
    room_id: `!${Buffer.from("room".padEnd(32, "-")).toString("base64url").slice(0, 43)}`,
    sender: "@alice.example:matrix.example.org",
    type: "m.room.message",
    unsigned: { age_ts: 1_700_000_000_000 + n * 1337 },
  };
}

/**
 * Operations per second of `fn`: the best of five rounds of ~300 ms after a warm-up. The best round is
 * the figure least disturbed by other processes on a shared machine.
 */
function rate(fn: (i: number) => unknown, roundMs = 300): number {
  for (let i = 0; i < 1000; i++) fn(i);
  let best = 0;
  let count = 0;
  for (let round = 0; round < 5; round++) {
    let done = 0;
    const start = performance.now();
    let now = start;
    while (now - start < roundMs) {
      for (let j = 0; j < 50; j++) fn(count++);
      done += 50;
      now = performance.now();
    }
    best = Math.max(best, (done * 1000) / (now - start));
  }
  return best;
}

function report(label: string, perSecond: number): void {
  console.log(`${label.padEnd(72)} ${Math.round(perSecond).toString().padStart(8)} /s  ${(1e6 / perSecond).toFixed(1).padStart(7)} µs`);
}

const inputs = Array.from({ length: 64 }, (_, n) => messagePdu(n));
const signed = inputs.map((pdu) => hashAndSignEvent(pdu, version, serverName, key) as Pdu);
const size = (value: unknown): number => Buffer.byteLength(canonicalJson(value as JsonValue));
console.log(
  `event: m.room.message, room version 12, ${size(inputs[0])} bytes of canonical JSON before signing, ${size(signed[0])} after; ` +
    `ed25519 backend in use: ${ed25519.name}`,
);

// The ceiling: one bare signature / verification over a message of the size the event signature covers.
const signedBytes = referenceHashInput(signed[0]!, version);
const backends: Ed25519Backend[] = [ed25519, ...[sodiumBackend, nodeCryptoBackend].filter((b): b is Ed25519Backend => b !== undefined && b !== ed25519)];
const bare = new Map<Ed25519Backend, { sign: number; verify: number }>();
for (const backend of backends) {
  const pair = backend.keyPairFromSeed(key.seed);
  const signature = backend.sign(signedBytes, pair.secretKey);
  const inUse = backend === ed25519 ? ", in use" : "";
  const sign = rate(() => backend.sign(signedBytes, pair.secretKey));
  const verify = rate(() => backend.verify(signedBytes, signature, pair.publicKey));
  report(`bare ed25519 sign (${backend.name}${inUse})`, sign);
  report(`bare ed25519 verify (${backend.name}${inUse})`, verify);
  bare.set(backend, { sign, verify });
}

// The JSON and hashing share of each job, without the ed25519 operation: what must stay below it.
const lenient = !version.strictCanonicalJson;
const signPrep = rate((i) => {
  const encoded = encodeEvent(inputs[i % 64]!, lenient);
  const hashes = { sha256: encodeBase64(sha256(contentHashText(encoded))) };
  return Buffer.from(referenceText(encoded, version, hashes), "utf8");
});
const verifyPrep = rate((i) => {
  const event = signed[i % 64]!;
  const encoded = encodeEvent(event, lenient);
  const bytes = Buffer.from(referenceText(encoded, version), "utf8");
  const eventId = eventIdFromReferenceHash(sha256(bytes), version);
  return contentHashMatches(event, sha256(contentHashText(encoded))) && eventId;
});
report("signing minus the signature (canonical JSON, redaction, 1 sha256)", signPrep);
report("verifying minus the signature (canonical JSON, redaction, 2 sha256)", verifyPrep);

// The whole jobs.
const signEvent = rate((i) => hashAndSignEvent(inputs[i % 64]!, version, serverName, key));
const lookup: VerifyKeyLookup = (server, keyId) =>
  server === serverName && keyId === key.keyId ? { publicKey: key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER } : undefined;
const verifyEvent = rate((i) => {
  const result = checkEventSignaturesAndHashes(signed[i % 64]!, version, lookup);
  if (!result.ok || !result.contentHashValid) throw new Error("verification failed");
});
report("sign an event (content hash, redact, sign, copy with hashes+signature)", signEvent);
report("verify an event (signature, content hash, event ID)", verifyEvent);

const ceiling = bare.get(ed25519)!;
console.log(
  `JSON+hashing cost relative to the ed25519 operation: signing ${((ceiling.sign / signPrep) * 100).toFixed(0)}%, ` +
    `verifying ${((ceiling.verify / verifyPrep) * 100).toFixed(0)}%`,
);
