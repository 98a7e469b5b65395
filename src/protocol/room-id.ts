/**
 * Room IDs (appendices "Room IDs"; rooms/v12.md, v12-event-format).
 *
 * Before v12 a room ID is `!opaque:domain`, chosen by the creating server. From v12 it is the create
 * event's ID with `!` for `$`: `!` + the URL-safe reference hash of the `m.room.create` event, which
 * therefore carries no `room_id` itself, and other events never list the create event in
 * `auth_events` (their `room_id` implies it).
 */
import { randomBytes } from "node:crypto";
import { encodeBase64Url } from "./base64.js";
import { MAX_ID_BYTES } from "./event-id.js";
import { computeReferenceHash } from "./hashes.js";
import type { RoomVersion } from "./room-versions.js";

export class RoomIdError extends Error {
  override name = "RoomIdError";
}

const HASH_ROOM_ID = /^![A-Za-z0-9_-]{43}$/;

/** The v12+ room ID of a create event (its reference hash, URL-safe, with `!`). */
export function computeRoomId(createEvent: object, version: RoomVersion): string {
  if (!version.roomIdFromCreateEvent) {
    throw new RoomIdError(`room version ${version.id} room IDs are chosen by the creating server`);
  }
  return `!${encodeBase64Url(computeReferenceHash(createEvent, version))}`;
}

/** v12+: the create event's ID implied by a room ID (`!hash` -> `$hash`). */
export function createEventIdFromRoomId(roomId: string): string {
  return `$${roomId.slice(1)}`;
}

/** v12+: the room ID a create event's ID gives (`$hash` -> `!hash`). */
export function roomIdFromCreateEventId(eventId: string): string {
  return `!${eventId.slice(1)}`;
}

/** A fresh `!opaque:domain` room ID for a room this server creates in a version before 12. */
export function generateRoomIdWithDomain(serverName: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let local = "";
  for (const byte of randomBytes(18)) local += alphabet[byte % alphabet.length];
  return `!${local}:${serverName}`;
}

/**
 * Whether a string is a room ID of this room version's form: before v12 `!localpart:domain` within
 * 255 bytes (the localpart must not hold `:` or NUL); from v12 `!` + 43 URL-safe base64 characters.
 */
export function isValidRoomId(roomId: string, version: RoomVersion): boolean {
  if (version.roomIdFromCreateEvent) return HASH_ROOM_ID.test(roomId);
  if (!roomId.startsWith("!") || Buffer.byteLength(roomId, "utf8") > MAX_ID_BYTES) return false;
  const colon = roomId.indexOf(":");
  return colon > 1 && colon < roomId.length - 1 && !roomId.slice(0, colon).includes("\u0000");
}
