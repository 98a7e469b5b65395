/**
 * The rules of server-side key backups that need no storage (client-server API "Server-side key
 * backups"): version numbers as clients see them, where a key may be stored, and whether an uploaded
 * session key replaces the one already stored.
 */
import { MatrixError } from "../../errors.js";
import { isValidRoomId } from "../../protocol/identifiers.js";

export interface KeyMetadata {
  readonly isVerified: boolean;
  readonly firstMessageIndex: number;
  readonly forwardedCount: number;
}

/**
 * The spec's order: a verified key beats an unverified one; between keys equally verified the lower
 * first_message_index wins (it decrypts more of the session); then the lower forwarded_count. A key
 * equal on all three keeps the stored one, so a repeated upload changes nothing, not even the etag.
 * (Synapse checks the three fields one after another without this precedence, so there an unverified
 * key with a lower index replaces a verified one; we follow the spec.)
 */
export function replacesStoredKey(stored: KeyMetadata | undefined, uploaded: KeyMetadata): boolean {
  if (stored === undefined) return true;
  if (stored.isVerified !== uploaded.isVerified) return uploaded.isVerified;
  if (stored.firstMessageIndex !== uploaded.firstMessageIndex) return uploaded.firstMessageIndex < stored.firstMessageIndex;
  return uploaded.forwardedCount < stored.forwardedCount;
}

/**
 * The number of a version as clients name it. We hand out "1", "2", ...; any other string (not a
 * number, a leading zero, too large) names no version, so the caller answers as for an unknown one.
 */
export function parseVersion(version: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : undefined;
}

/** The version number as clients see it: the spec makes versions opaque strings. */
export function formatVersion(version: number): string {
  return String(version);
}

// Megolm session IDs are 43 characters. The bound keeps a key's primary-key entry well under
// PostgreSQL's limit on the size of an index row, whose breach would be a 500.
const MAX_SESSION_ID_BYTES = 255;

/** Checks where an uploaded key would be stored: 400 M_INVALID_PARAM for a bad room or session ID. */
export function checkKeyLocation(roomId: string, sessionId: string): void {
  if (!isValidRoomId(roomId)) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a valid room ID`);
  if (sessionId.length === 0 || Buffer.byteLength(sessionId) > MAX_SESSION_ID_BYTES) {
    throw new MatrixError(400, "M_INVALID_PARAM", `Session IDs must have 1 to ${MAX_SESSION_ID_BYTES} bytes`);
  }
}
