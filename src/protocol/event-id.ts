/**
 * Event IDs per room version:
 * - v1–2 (rooms/fragments/v1-event-ids.md): `$opaque:domain`, chosen by the origin server and sent in
 *   the event's `event_id`;
 * - v3 (rooms/v3.md "Event IDs"): `$` + the reference hash in standard unpadded base64;
 * - v4+ (rooms/fragments/v4-event-ids.md): `$` + the reference hash in URL-safe unpadded base64.
 */
import { randomBytes } from "node:crypto";
import { encodeBase64, encodeBase64Url } from "./base64.js";
import { computeReferenceHash } from "./hashes.js";
import type { RoomVersion } from "./room-versions.js";

/** appendices "Event IDs": at most 255 bytes including the sigil and any domain. */
export const MAX_ID_BYTES = 255;

export class EventIdError extends Error {
  override name = "EventIdError";
}

// A sha256 is 32 bytes: 43 characters of unpadded base64.
const HASH_ID_V3 = /^\$[A-Za-z0-9+/]{43}$/;
const HASH_ID_V4 = /^\$[A-Za-z0-9_-]{43}$/;

/** The event ID a reference hash gives in this room version (v3+ only). */
export function eventIdFromReferenceHash(hash: Uint8Array, version: RoomVersion): string {
  switch (version.eventIdFormat) {
    case "v3":
      return `$${encodeBase64(hash)}`;
    case "v4":
      return `$${encodeBase64Url(hash)}`;
    default:
      throw new EventIdError(`room version ${version.id} event IDs are not hashes`);
  }
}

/**
 * The ID of an event: for v3+ computed from its reference hash, for v1–2 the `event_id` the origin
 * put in the event (throws EventIdError when it has none).
 */
export function computeEventId(event: object, version: RoomVersion): string {
  if (version.eventIdFormat === "v1") {
    const id = (event as { event_id?: unknown }).event_id;
    if (typeof id !== "string") throw new EventIdError("room versions 1 and 2 carry the event ID in the event");
    return id;
  }
  return eventIdFromReferenceHash(computeReferenceHash(event, version), version);
}

/**
 * A fresh v1–2 event ID for an event this server creates. The localpart only needs to be unique on
 * this server; 18 random alphanumerics (about 107 bits) make a clash impossible in practice.
 */
export function generateV1EventId(serverName: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let local = "";
  for (const byte of randomBytes(18)) local += alphabet[byte % alphabet.length];
  return `$${local}:${serverName}`;
}

/**
 * Whether a string is an event ID of this room version's format: a hash of the right alphabet for v3+,
 * and for v1–2 `$`, a localpart and `:domain` within 255 bytes. The v1 check is loose on purpose:
 * events of old rooms carry IDs from many implementations, and only the origin ever interpreted them.
 */
export function isValidEventId(id: string, version: RoomVersion): boolean {
  switch (version.eventIdFormat) {
    case "v3":
      return HASH_ID_V3.test(id);
    case "v4":
      return HASH_ID_V4.test(id);
    default: {
      if (!id.startsWith("$") || Buffer.byteLength(id, "utf8") > MAX_ID_BYTES) return false;
      const colon = id.indexOf(":");
      return colon > 1 && colon < id.length - 1;
    }
  }
}
