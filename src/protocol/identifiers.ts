/**
 * Matrix identifiers (appendices: "Identifier Grammar", "Common Identifier Format", "Opaque
 * Identifiers"; rooms/v3, v4, v12 for the hash forms). Every length limit counts UTF-8 bytes, not UTF-16
 * units: a localpart of 84 three-byte characters is 252 bytes, not 84.
 */
import type { EventIdFormat, RoomVersion } from "./room-versions.js";
import { parseServerName } from "./identifiers-server-name.js";

export type { ServerName, ServerNameKind } from "./identifiers-server-name.js";
export {
  isIpv4Literal,
  isIpv6Literal,
  isValidServerName,
  MAX_SERVER_NAME_BYTES,
  parseServerName,
} from "./identifiers-server-name.js";

/** User IDs, room IDs, room aliases and event IDs, sigil and server name included. */
export const MAX_IDENTIFIER_BYTES = 255;

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** `sigil localpart ":" server_name`, split at the first colon (a localpart never has one). */
function splitSigilled(id: string, sigil: string): { localpart: string; serverName: string } | null {
  if (id.charAt(0) !== sigil || byteLength(id) > MAX_IDENTIFIER_BYTES) return null;
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  const serverName = id.slice(colon + 1);
  if (parseServerName(serverName) === null) return null;
  return { localpart: id.slice(1, colon), serverName };
}

/**
 * The opaque localparts of room IDs, room aliases, event IDs of room versions 1–2, and historical user
 * IDs: any Unicode scalar values except ":" and NUL, control characters included (appendices, "Room
 * IDs", "Room Aliases", "Historical User IDs"). The caller has already split at the first colon.
 */
function isOpaqueLocalpart(localpart: string): boolean {
  return localpart.isWellFormed() && !localpart.includes("\u0000");
}

// ---------------------------------------------------------------------------------------------------
// User IDs

/**
 * "strict": the grammar since v1.8, a–z 0–9 . _ = - / +, required for new users.
 * "compliant": a non-empty localpart within U+0021–U+007E; older IDs that servers may still show to
 * clients. "historical": anything but ":" and NUL, even empty, which servers MUST accept in events
 * but SHOULD NOT forward to clients outside an event (appendices, "Historical User IDs").
 */
export type UserIdGrammar = "strict" | "compliant" | "historical";

export interface UserIdParts {
  localpart: string;
  serverName: string;
}

export interface UserIdOptions {
  /** Accept the historical grammar (for IDs in events and from other servers). Default: strict only. */
  historical?: boolean;
}

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/;
const COMPLIANT_LOCALPART = /^[\u0021-\u0039\u003b-\u007e]+$/;

function localpartGrammar(localpart: string): UserIdGrammar | null {
  if (STRICT_LOCALPART.test(localpart)) return "strict";
  if (COMPLIANT_LOCALPART.test(localpart)) return "compliant";
  return isOpaqueLocalpart(localpart) ? "historical" : null;
}

/** The narrowest grammar a user ID meets, or null when it is not a user ID at all. */
export function userIdGrammar(id: string): UserIdGrammar | null {
  const parts = splitSigilled(id, "@");
  return parts === null ? null : localpartGrammar(parts.localpart);
}

/** Splits a user ID; null unless it is valid (under the historical grammar when asked). */
export function parseUserId(id: string, options: UserIdOptions = {}): UserIdParts | null {
  const parts = splitSigilled(id, "@");
  if (parts === null) return null;
  const grammar = localpartGrammar(parts.localpart);
  if (grammar === null || (grammar !== "strict" && options.historical !== true)) return null;
  return parts;
}

export function isValidUserId(id: string, options: UserIdOptions = {}): boolean {
  return parseUserId(id, options) !== null;
}

/**
 * Whether a new account may have this localpart: the strict grammar, and, when the server name is
 * given, a whole user ID within 255 bytes. Policy beyond the grammar (reserved prefixes such as "_" for
 * application services, numeric guest names) belongs to the accounts service.
 */
export function isValidLocalpartForRegistration(localpart: string, serverName?: string): boolean {
  if (!STRICT_LOCALPART.test(localpart)) return false;
  return serverName === undefined || byteLength(`@${localpart}:${serverName}`) <= MAX_IDENTIFIER_BYTES;
}

// ---------------------------------------------------------------------------------------------------
// Event IDs and room IDs

/** URL-safe unpadded base64 of a SHA-256 hash: 32 bytes make 43 characters. */
const URL_SAFE_HASH = /^[A-Za-z0-9_-]{43}$/;
const STANDARD_HASH = /^[A-Za-z0-9+/]{43}$/;

export interface EventIdParts {
  /** The part after the sigil and before any colon: a local ID (v1–2) or the reference hash. */
  opaque: string;
  /** Only in the `$opaque:server` form of room versions 1 and 2. */
  serverName?: string;
}

/**
 * Splits an event ID. With a format (RoomVersion.eventIdFormat) only that form is accepted: "v1"
 * `$opaque:server`, "v3" `$` + reference hash in standard base64, "v4" `$` + hash in URL-safe base64.
 * Without one, any of the three.
 */
export function parseEventId(id: string, format?: EventIdFormat): EventIdParts | null {
  if (id.charAt(0) !== "$" || byteLength(id) > MAX_IDENTIFIER_BYTES) return null;
  const opaque = id.slice(1);
  if (format !== "v1") {
    if (format !== "v3" && URL_SAFE_HASH.test(opaque)) return { opaque };
    if (format !== "v4" && STANDARD_HASH.test(opaque)) return { opaque };
    if (format !== undefined) return null;
  }
  const parts = splitSigilled(id, "$");
  if (parts === null || !isOpaqueLocalpart(parts.localpart)) return null;
  return { opaque: parts.localpart, serverName: parts.serverName };
}

export function isValidEventId(id: string, format?: EventIdFormat): boolean {
  return parseEventId(id, format) !== null;
}

/**
 * Whether a string can name an event at all, whatever its room's version: the `$` sigil, within the
 * identifier length limit, no NUL character. Laxer than isValidEventId, for references that are kept
 * even when they name no event seen (a relation's target).
 */
export function couldBeEventId(id: string): boolean {
  return id.charAt(0) === "$" && !id.includes("\u0000") && byteLength(id) <= MAX_IDENTIFIER_BYTES;
}

export interface RoomIdParts {
  /** The localpart, or (room version 12) the create event's reference hash. */
  opaque: string;
  /** Absent for room version 12 IDs, which have no server part. */
  serverName?: string;
}

/**
 * Splits a room ID: `!opaque:server`, or for room versions with roomIdFromCreateEvent (v12) `!` + the
 * create event's reference hash in URL-safe base64, the v4+ event ID grammar (appendices, "Room IDs").
 * With a room version only its form is accepted; without one, either.
 */
export function parseRoomId(id: string, version?: Pick<RoomVersion, "roomIdFromCreateEvent">): RoomIdParts | null {
  if (id.charAt(0) !== "!" || byteLength(id) > MAX_IDENTIFIER_BYTES) return null;
  if (version?.roomIdFromCreateEvent !== false && URL_SAFE_HASH.test(id.slice(1))) return { opaque: id.slice(1) };
  if (version?.roomIdFromCreateEvent === true) return null;
  const parts = splitSigilled(id, "!");
  if (parts === null || !isOpaqueLocalpart(parts.localpart)) return null;
  return { opaque: parts.localpart, serverName: parts.serverName };
}

export function isValidRoomId(id: string, version?: Pick<RoomVersion, "roomIdFromCreateEvent">): boolean {
  return parseRoomId(id, version) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Room aliases

export interface RoomAliasParts {
  alias: string;
  serverName: string;
}

/** Splits `#alias:server`; the alias may hold any Unicode scalar values but ":" and NUL. */
export function parseRoomAlias(id: string): RoomAliasParts | null {
  const parts = splitSigilled(id, "#");
  if (parts === null || !isOpaqueLocalpart(parts.localpart)) return null;
  return { alias: parts.localpart, serverName: parts.serverName };
}

export function isValidRoomAlias(id: string): boolean {
  return parseRoomAlias(id) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Any sigilled identifier

/**
 * The server name of a valid user ID (historical grammar), room alias, room ID or event ID, when it
 * has one; null for hash-form room and event IDs and for anything invalid.
 */
export function serverNameOf(id: string): string | null {
  switch (id.charAt(0)) {
    case "@":
      return parseUserId(id, { historical: true })?.serverName ?? null;
    case "#":
      return parseRoomAlias(id)?.serverName ?? null;
    case "!":
      return parseRoomId(id)?.serverName ?? null;
    case "$":
      return parseEventId(id)?.serverName ?? null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// Opaque identifiers

const OPAQUE_ID = /^[0-9A-Za-z._~-]+$/;

/**
 * The Opaque Identifier Grammar (appendices, "Opaque Identifiers"): the RFC 3986 unreserved characters,
 * 1 to `maxLength` (default 255) of them. Used where the spec names this grammar (registration tokens
 * cap it at 64, VoIP call and party IDs, terms policy IDs).
 */
export function isValidOpaqueId(text: string, maxLength = 255): boolean {
  return text.length >= 1 && text.length <= maxLength && OPAQUE_ID.test(text);
}

/** Whether the text holds a C0 control, DEL or a C1 control. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/**
 * What we accept as a device ID from a client. The spec leaves device IDs to the client under the
 * legacy login API (only recommending the unreserved characters under OAuth), and Synapse checks
 * nothing, so existing clients send many shapes. We accept 1–255 bytes of well-formed text without
 * control characters (device IDs go into logs, key IDs such as `ed25519:<device>` and URL paths), and
 * not "*", which means "every device" in to-device messages. New device IDs we generate ourselves use
 * the opaque grammar.
 */
export function isAcceptableDeviceId(deviceId: string): boolean {
  return deviceId !== "*" && isAcceptableClientToken(deviceId);
}

/**
 * What we accept as a client transaction ID (`{txnId}` in a path) or a federation transaction ID. The
 * spec puts no grammar on them and recommends UUIDs or timestamp-and-counter strings; we accept 1–255
 * bytes of well-formed text without control characters, since we store them and key retries on them.
 */
export function isAcceptableTransactionId(txnId: string): boolean {
  return isAcceptableClientToken(txnId);
}

function isAcceptableClientToken(text: string): boolean {
  return text.length > 0 && byteLength(text) <= 255 && text.isWellFormed() && !hasControlCharacter(text);
}

/**
 * The part after the first `:` of an ID, without validating anything (Synapse's `get_domain_from_id`):
 * what the auth rules and signature checks compare, since rooms hold IDs that break today's grammar.
 * "" when there is no colon.
 */
export function domainOfId(id: string): string {
  const at = id.indexOf(":");
  return at < 0 ? "" : id.slice(at + 1);
}
