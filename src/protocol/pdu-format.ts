/**
 * Format checks for received PDUs (server-server-api "Checks performed on receipt of a PDU", step 1):
 * the event format of the room version (data/api/server-server/definitions/pdu_v1, v3, v4, v6, v11,
 * v12.yaml) and the size limits (client-server-api "Size limits"). An event that fails is dropped,
 * so every failure is a PduFormatError and nothing else, whatever the input.
 */
import { canonicalJson } from "./canonical-json.js";
import type { HashedReference, Pdu, RoomEvent } from "./event.js";
import { computeEventId, isValidEventId, MAX_ID_BYTES } from "./event-id.js";
import { isJsonObject } from "./json.js";
import type { JsonObject } from "./json.js";
import { createEventIdFromRoomId, isValidRoomId, roomIdFromCreateEventId } from "./room-id.js";
import type { RoomVersion } from "./room-versions.js";

/** The whole event, as canonical JSON with signatures, must not be larger than this. */
export const MAX_PDU_BYTES = 65_536;
export const MAX_PREV_EVENTS = 20;
export const MAX_AUTH_EVENTS = 10;
/** pdu_v1/v3/v4: depth below 2^63 − 1; from v6 strict canonical JSON caps it at 2^53 − 1 anyway. */
export const MAX_DEPTH = 2n ** 63n - 1n;

export class PduFormatError extends Error {
  override name = "PduFormatError";
  /**
   * True when Synapse would persist the event as rejected rather than drop it: an identifier longer
   * than 255 bytes but not 255 code points in a room version before 11. Older Synapse counted code
   * points, so such events exist in rooms' DAGs and dropping them would break those rooms.
   */
  readonly persistAsRejected: boolean;
  constructor(message: string, persistAsRejected = false) {
    super(message);
    this.persistAsRejected = persistAsRejected;
  }
}

function fail(message: string): never {
  throw new PduFormatError(message);
}

function isInteger(value: unknown): value is number | bigint {
  return typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value));
}

/**
 * Identifier length limits, counted as Synapse does: more than 255 code points is always fatal; more
 * than 255 UTF-8 bytes is fatal from room version 11 on (Synapse's strict byte limits start with the
 * versions that use the v11 redaction rules) and before that a rejection, not a drop.
 */
function checkIdLength(value: string, field: string, version: RoomVersion): void {
  if (value.length <= MAX_ID_BYTES) {
    if (Buffer.byteLength(value, "utf8") <= MAX_ID_BYTES) return; // the common case, no counting
  }
  let codePoints = 0;
  for (const _ of value) codePoints++;
  if (codePoints > MAX_ID_BYTES) fail(`${field} is longer than ${MAX_ID_BYTES} code points`);
  if (Buffer.byteLength(value, "utf8") > MAX_ID_BYTES) {
    throw new PduFormatError(`${field} is longer than ${MAX_ID_BYTES} bytes`, version.redactionRules !== "v11");
  }
}

function requireString(pdu: JsonObject, field: string, version: RoomVersion): string {
  const value = pdu[field];
  if (typeof value !== "string") fail(`${field} must be a string`);
  checkIdLength(value, field, version);
  return value;
}

function checkHashes(value: unknown, field: string): void {
  if (!isJsonObject(value) || typeof value.sha256 !== "string") fail(`${field} must be an object with a sha256 string`);
  for (const hash of Object.values(value)) if (typeof hash !== "string") fail(`${field} values must be strings`);
}

function checkSignatures(value: unknown): void {
  if (!isJsonObject(value)) fail("signatures must be an object");
  for (const entry of Object.values(value)) {
    if (!isJsonObject(entry)) fail("signatures must map server names to objects");
    for (const signature of Object.values(entry)) if (typeof signature !== "string") fail("signatures must be strings");
  }
}

function checkReferences(pdu: JsonObject, field: "prev_events" | "auth_events", max: number, version: RoomVersion): string[] {
  const list = pdu[field];
  if (!Array.isArray(list)) fail(`${field} must be an array`);
  if (list.length > max) fail(`${field} holds more than ${max} events`);
  const ids: string[] = [];
  for (const item of list) {
    let id: unknown = item;
    if (version.eventIdFormat === "v1") {
      // v1–2: [event_id, {sha256: reference hash}] pairs.
      if (!Array.isArray(item) || item.length !== 2) fail(`${field} entries must be [event_id, hashes] pairs`);
      checkHashes(item[1], `${field} hashes`);
      id = item[0];
    }
    if (typeof id !== "string" || !isValidEventId(id, version)) fail(`${field} holds an invalid event ID`);
    ids.push(id);
  }
  return ids;
}

function checkRoomId(pdu: JsonObject, version: RoomVersion): void {
  if (version.roomIdFromCreateEvent && pdu.type === "m.room.create") {
    if (pdu.room_id !== undefined) fail("an m.room.create event has no room_id in this room version");
    return;
  }
  const roomId = requireString(pdu, "room_id", version);
  if (!isValidRoomId(roomId, version)) fail("room_id is not a room ID of this room version");
}

function checkDepth(depth: unknown): void {
  if (!isInteger(depth)) fail("depth must be an integer");
  if (depth < 0) fail("depth must not be negative");
  if (BigInt(depth) > MAX_DEPTH) fail("depth is too large");
}

/** The canonical JSON of the whole event (`text`, when the caller has it already), measured in UTF-8 bytes. */
function checkSizeAndEncoding(pdu: JsonObject, version: RoomVersion, known: string | undefined): void {
  let text: string;
  try {
    text = known ?? canonicalJson(pdu, { lenient: !version.strictCanonicalJson });
  } catch (error) {
    // CanonicalJsonError (floats, big integers in v6+, lone surrogates), or a RangeError from a
    // pathologically deep value: either way the event cannot be hashed as the room version requires.
    fail(`event is not canonical JSON: ${(error as Error).message}`);
  }
  // Synapse measures the same thing: canonical JSON of the full PDU including hashes, signatures and
  // `unsigned` (which it has already cut down to the keys it keeps from remote servers).
  if (Buffer.byteLength(text, "utf8") > MAX_PDU_BYTES) fail(`event is larger than ${MAX_PDU_BYTES} bytes`);
}

function checkFields(pdu: JsonObject, version: RoomVersion, text: string | undefined): void {
  checkSizeAndEncoding(pdu, version, text);
  requireString(pdu, "type", version);
  const sender = requireString(pdu, "sender", version);
  const colon = sender.indexOf(":");
  if (!sender.startsWith("@") || colon < 1 || colon === sender.length - 1) fail("sender is not a user ID");
  checkRoomId(pdu, version);
  if (pdu.state_key !== undefined) requireString(pdu, "state_key", version);
  if (version.eventIdFormat === "v1") {
    const id = requireString(pdu, "event_id", version);
    if (!isValidEventId(id, version)) fail("event_id is not an event ID");
  } else if (pdu.event_id !== undefined) {
    // From v3 the ID is the reference hash; an explicit one would be misleading (and Synapse refuses it).
    fail("events of this room version carry no event_id");
  }
  if (!isJsonObject(pdu.content)) fail("content must be an object");
  if (!isInteger(pdu.origin_server_ts)) fail("origin_server_ts must be an integer");
  checkDepth(pdu.depth);
  checkHashes(pdu.hashes, "hashes");
  checkSignatures(pdu.signatures);
  checkReferences(pdu, "prev_events", MAX_PREV_EVENTS, version);
  const authEvents = checkReferences(pdu, "auth_events", MAX_AUTH_EVENTS, version);
  if (!version.redactsInContent && pdu.redacts !== undefined && typeof pdu.redacts !== "string") {
    // Only the type: a client may redact an ID that never existed, and that redaction is still a valid
    // event other events build on; dropping it over the ID's shape would break the room for us.
    fail("redacts must be a string");
  }
  if (version.roomIdFromCreateEvent && typeof pdu.room_id === "string") {
    // v12: the room ID names the create event, so listing it again is an error (as in Synapse).
    if (authEvents.includes(createEventIdFromRoomId(pdu.room_id))) fail("auth_events must not hold the create event");
  }
}

/**
 * Throws PduFormatError unless `pdu` has the event format of the room version and respects the size
 * limits. The size counted is the canonical JSON of `pdu` exactly as given, so inbound callers
 * should first cut `unsigned` down to the keys they keep from remote servers, as Synapse does.
 * `canonicalText`: that canonical JSON, when the caller has encoded `pdu` already (an event this
 * server just built and signed), so that it is not encoded once more here.
 */
export function checkPduFormat(pdu: unknown, version: RoomVersion, canonicalText?: string): asserts pdu is Pdu {
  if (!isJsonObject(pdu)) fail("an event must be a JSON object");
  try {
    checkFields(pdu, version, canonicalText);
  } catch (error) {
    if (error instanceof PduFormatError) throw error;
    // Defensive: no input may escape as another kind of error.
    throw new PduFormatError(`malformed event: ${(error as Error)?.message ?? String(error)}`);
  }
}

function referenceIds(list: Pdu["prev_events"], version: RoomVersion): string[] {
  if (version.eventIdFormat === "v1") return (list as HashedReference[]).map((pair) => pair[0]);
  return [...(list as string[])];
}

/**
 * The normalised view of a format-checked PDU: the event ID (computed for v3+, unless the caller
 * already has it from the reference hash), the room ID (derived for a v12 create event), plain ID
 * lists for `prev_events`/`auth_events` (as on the wire: in v12 the create event stays implied by
 * `room_id`, not added), and `redacts` from the top level or from the content per room version.
 */
export function toRoomEvent(pdu: Pdu, version: RoomVersion, eventId?: string): RoomEvent {
  const id = eventId ?? computeEventId(pdu, version);
  const roomId =
    version.roomIdFromCreateEvent && pdu.type === "m.room.create" ? roomIdFromCreateEventId(id) : (pdu.room_id as string);
  const redacts = version.redactsInContent ? pdu.content.redacts : pdu.redacts;
  const event: {
    -readonly [K in keyof RoomEvent]: RoomEvent[K];
  } = {
    event_id: id,
    room_id: roomId,
    type: pdu.type,
    sender: pdu.sender,
    content: pdu.content,
    origin_server_ts: Number(pdu.origin_server_ts),
    depth: Number(pdu.depth),
    prev_events: referenceIds(pdu.prev_events, version),
    auth_events: referenceIds(pdu.auth_events, version),
  };
  if (typeof pdu.state_key === "string") event.state_key = pdu.state_key;
  if (typeof redacts === "string") event.redacts = redacts;
  return event;
}
