/**
 * The two canonical forms of an event that hashing and signing need, built from one encoding pass:
 * - the content-hash input: the event without `unsigned`, `signatures` and `hashes`;
 * - the reference input: the redacted event without `signatures` and `unsigned` (what the reference
 *   hash and every signature cover).
 *
 * They share every top-level value but `content` and `hashes`, so each top-level value is encoded once
 * and both texts are assembled from the pieces. For a message event this halves the JSON work of
 * signing or checking an event, which otherwise costs more than the ed25519 operation. The output is
 * byte-for-byte `canonicalJson` of the two objects (the tests check it on random events).
 */
import { canonicalJson, sortedKeys, sortKeysInPlace } from "./canonical-json.js";
import type { JsonValue } from "./json.js";
import { keepsTopLevelKey, redactedContent } from "./redaction.js";
import type { RoomVersion } from "./room-versions.js";

export interface EncodedEvent {
  /** Sorted top-level keys with a defined value, except `unsigned` and `signatures`. */
  readonly keys: readonly string[];
  /** Each key's `"key":value` piece of canonical JSON. */
  readonly pieces: ReadonlyMap<string, string>;
  readonly type: unknown;
  readonly source: object;
  readonly lenient: boolean;
}

const PLAIN_KEY = /^[A-Za-z0-9_.]*$/;

/** Encodes every top-level value once. Throws CanonicalJsonError like canonicalJson. */
export function encodeEvent(event: object, lenient: boolean): EncodedEvent {
  const record = event as Record<string, unknown>;
  const keys: string[] = [];
  const pieces = new Map<string, string>();
  for (const key of sortedKeys(record)) {
    const value = record[key];
    if (value === undefined || key === "unsigned" || key === "signatures") continue;
    keys.push(key);
    // Top-level keys are plain ASCII names; anything else takes the general path (escapes and the
    // lone-surrogate check), as canonicalJson of a string is exactly its encoded form.
    const encodedKey = PLAIN_KEY.test(key) ? `"${key}"` : canonicalJson(key);
    pieces.set(key, `${encodedKey}:${canonicalJson(value as JsonValue, { lenient })}`);
  }
  return { keys, pieces, type: record.type, source: event, lenient };
}

/** Canonical JSON of the event without `unsigned`, `signatures` and `hashes`. */
export function contentHashText(encoded: EncodedEvent): string {
  let out = "{";
  for (const key of encoded.keys) {
    if (key === "hashes") continue;
    if (out.length > 1) out += ",";
    out += encoded.pieces.get(key);
  }
  return `${out}}`;
}

/**
 * Canonical JSON of the redacted event without `signatures` and `unsigned`. `hashes` replaces the
 * event's own `hashes` (used when signing right after computing the content hash).
 */
export function referenceText(encoded: EncodedEvent, version: RoomVersion, hashes?: JsonValue): string {
  let keys = encoded.keys;
  // The redacted event always has `content` (`{}` at least), and a replacement `hashes` may be new.
  const addContent = !keys.includes("content");
  const addHashes = hashes !== undefined && !keys.includes("hashes");
  if (addContent || addHashes) {
    const all = keys.slice();
    if (addContent) all.push("content");
    if (addHashes) all.push("hashes");
    keys = sortKeysInPlace(all);
  }
  let out = "{";
  for (const key of keys) {
    let piece: string | undefined;
    if (key === "content") {
      piece = `"content":${canonicalJson(redactedContent(encoded.source, version), { lenient: encoded.lenient })}`;
    } else if (key === "hashes" && hashes !== undefined) {
      piece = `"hashes":${canonicalJson(hashes, { lenient: encoded.lenient })}`;
    } else if (keepsTopLevelKey(key, encoded.type, version)) {
      piece = encoded.pieces.get(key);
    }
    if (piece === undefined) continue;
    if (out.length > 1) out += ",";
    out += piece;
  }
  return `${out}}`;
}

/**
 * Canonical JSON of the whole event without `unsigned`, with `replaced` top-level values set or
 * added (the `hashes` and `signatures` a new event just got): what is stored for it. Reuses the
 * encoded pieces, so storing a new event costs no third encoding of its content.
 */
export function eventText(encoded: EncodedEvent, replaced: Readonly<Record<string, JsonValue>>): string {
  const keys = encoded.keys.slice();
  for (const key in replaced) if (!encoded.pieces.has(key)) keys.push(key);
  let out = "{";
  for (const key of sortKeysInPlace(keys)) {
    const value = replaced[key];
    let piece: string | undefined;
    if (value !== undefined) {
      const encodedKey = PLAIN_KEY.test(key) ? `"${key}"` : canonicalJson(key);
      piece = `${encodedKey}:${canonicalJson(value, { lenient: encoded.lenient })}`;
    } else {
      piece = encoded.pieces.get(key);
    }
    if (piece === undefined) continue;
    if (out.length > 1) out += ",";
    out += piece;
  }
  return `${out}}`;
}
