/**
 * Event hashes (server-server-api: "Calculating the content hash for an event", "Calculating the
 * reference hash for an event").
 *
 * - Content hash: sha256 of the canonical JSON of the whole event without `unsigned`, `signatures`
 *   and `hashes`. It covers the unredacted content, and lands in `hashes.sha256`.
 * - Reference hash: sha256 of the canonical JSON of the redacted event without `signatures` and
 *   `unsigned` (so it includes `hashes`). Event IDs of v3+ and room IDs of v12 are built from it; its
 *   input is also exactly what the event's signatures cover.
 *
 * Canonical JSON is strict for room versions 6 and later and lenient before (big integers, floats).
 */
import * as nodeCrypto from "node:crypto";
import { decodeBase64Any, encodeBase64 } from "./base64.js";
import { canonicalJsonBytes } from "./canonical-json.js";
import { isJsonObject } from "./json.js";
import type { JsonObject } from "./json.js";
import { redactedForHashing } from "./redaction.js";
import type { RoomVersion } from "./room-versions.js";

// crypto.hash (Node 20.12+) hashes in one call without building a Hash object: measurably cheaper for
// event-sized inputs. The namespace import keeps older Node 20 releases loading this module.
const oneShotHash = typeof nodeCrypto.hash === "function" ? nodeCrypto.hash : undefined;

/** sha256 of bytes, or of a string's UTF-8 encoding (hashed without copying it into a Buffer first). */
export function sha256(data: Uint8Array | string): Buffer {
  if (oneShotHash !== undefined) return oneShotHash("sha256", data, "buffer");
  return nodeCrypto.createHash("sha256").update(data).digest();
}

function lenientFor(version: RoomVersion): boolean {
  return !version.strictCanonicalJson;
}

/** The bytes the content hash covers. */
export function contentHashInput(event: object, version: RoomVersion): Buffer {
  const { unsigned: _unsigned, signatures: _signatures, hashes: _hashes, ...rest } = event as JsonObject;
  return canonicalJsonBytes(rest, { lenient: lenientFor(version) });
}

/** The raw sha256 content hash. Throws CanonicalJsonError for an event that is not encodable. */
export function computeContentHash(event: object, version: RoomVersion): Buffer {
  return sha256(contentHashInput(event, version));
}

/** The content hash as it goes in `hashes.sha256`: unpadded base64. */
export function contentHashBase64(event: object, version: RoomVersion): string {
  return encodeBase64(computeContentHash(event, version));
}

/**
 * Whether `hashes.sha256` matches the event's content. False (never an exception) for a missing or
 * undecodable hash or content that is not canonical-JSON encodable in this room version.
 */
export function verifyContentHash(event: object, version: RoomVersion): boolean {
  let actual: Buffer;
  try {
    actual = computeContentHash(event, version);
  } catch {
    return false;
  }
  return contentHashMatches(event, actual);
}

/** Whether the event's `hashes.sha256` (base64, either alphabet) equals a computed content hash. */
export function contentHashMatches(event: object, actual: Uint8Array): boolean {
  const hashes = (event as { hashes?: unknown }).hashes;
  if (!isJsonObject(hashes) || typeof hashes.sha256 !== "string") return false;
  try {
    return decodeBase64Any(hashes.sha256).equals(actual);
  } catch {
    return false;
  }
}

/**
 * The bytes the reference hash covers, which are also the bytes the event's signatures cover.
 * `lenient` defaults to the room version's rule.
 */
export function referenceHashInput(event: object, version: RoomVersion, lenient = lenientFor(version)): Buffer {
  return canonicalJsonBytes(redactedForHashing(event, version), { lenient });
}

/**
 * The raw sha256 reference hash. Encoded leniently in every room version, as Synapse does: a stored
 * event must always have an ID, even one accepted long ago with out-of-range integers.
 */
export function computeReferenceHash(event: object, version: RoomVersion): Buffer {
  return sha256(referenceHashInput(event, version, true));
}
