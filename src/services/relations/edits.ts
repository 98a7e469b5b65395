/**
 * Validity and order of replacement events (client-server API "Event replacements"): an edit counts
 * when it has the original's room, sender and type, neither has a state key, the original is not
 * itself an edit, and the edit carries `m.new_content`. The most recent edit is the one with the
 * greatest origin_server_ts, ties going to the lexicographically largest event ID.
 */
import type { Pdu } from "../../protocol/event.js";
import { relationOf } from "../rooms/room-event-view.js";

/** Whether `edit` is a valid replacement of `original` (both as stored, unredacted). */
export function isValidReplacement(original: Pdu, edit: Pdu, originalEventId: string): boolean {
  const relation = relationOf(edit.content);
  if (relation?.relType !== "m.replace" || relation.eventId !== originalEventId) return false;
  if (edit.room_id !== original.room_id || edit.sender !== original.sender || edit.type !== original.type) return false;
  if (original.state_key !== undefined || edit.state_key !== undefined) return false;
  if (relationOf(original.content)?.relType === "m.replace") return false;
  // An encrypted edit carries m.new_content inside the ciphertext, where the server cannot look.
  if (edit.type === "m.room.encrypted") return true;
  const newContent = edit.content["m.new_content"];
  return typeof newContent === "object" && newContent !== null && !Array.isArray(newContent);
}

/** Sorts edits most recent first by (origin_server_ts, event ID) as the spec orders them. */
export function newestFirst<T extends { originServerTs: number; eventId: string }>(edits: readonly T[]): T[] {
  return [...edits].sort((a, b) => b.originServerTs - a.originServerTs || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0));
}
