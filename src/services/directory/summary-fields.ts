/**
 * The fields that describe a room to someone deciding whether to join it: the `PublishedRoomsChunk` of
 * the room directory and the `RoomSummary` of /hierarchy and /room_summary (client-server API
 * definitions/public_rooms_chunk.yaml and room_summary.yaml), built from a few state events.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { redactEvent } from "../../protocol/redaction.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import { isRestrictedJoinRule } from "../../protocol/auth/restricted-join.js";
import type { StoredEvent } from "../../storage/event-store.js";

/** The state types (state key "") a summary reads. */
export const SUMMARY_STATE_TYPES = [
  "m.room.create",
  "m.room.name",
  "m.room.topic",
  "m.room.avatar",
  "m.room.canonical_alias",
  "m.room.join_rules",
  "m.room.history_visibility",
  "m.room.guest_access",
  "m.room.encryption",
] as const;

export interface PublicRoomChunk {
  room_id: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  join_rule?: string;
  room_type?: string;
}

export interface RoomSummaryFields extends PublicRoomChunk {
  room_version: string;
  encryption?: string;
  allowed_room_ids?: string[];
}

export type StateContent = (type: string) => JsonObject | undefined;

/** An event's content as clients see it: what its redaction left of it, once redacted. */
export function visibleContent(stored: StoredEvent, version: RoomVersion): JsonObject {
  return stored.redactedByNid === null ? stored.pdu.content : (redactEvent(stored.pdu, version).content as JsonObject);
}

const nonEmptyString = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * The plain-text topic: the `text/plain` representation in `m.topic` (a representation without a
 * mimetype is plain text), else the `topic` string; undefined when neither is set or both are empty.
 */
export function plainTextTopic(content: JsonObject | undefined): string | undefined {
  if (!content) return undefined;
  const block = content["m.topic"];
  const texts = isJsonObject(block) ? block["m.text"] : undefined;
  if (Array.isArray(texts)) {
    for (const text of texts) {
      if (!isJsonObject(text)) continue;
      const mimetype = text["mimetype"];
      if ((mimetype === undefined || mimetype === "text/plain") && nonEmptyString(text["body"])) return text["body"] as string;
    }
  }
  return nonEmptyString(content["topic"]);
}

/** The rooms whose members may join under a restricted join rule; empty for other rules. */
export function allowedRoomIds(version: RoomVersion, joinRules: JsonObject | undefined): string[] {
  const rule = joinRules?.["join_rule"];
  if (typeof rule !== "string" || !isRestrictedJoinRule(version, rule)) return [];
  const allow = joinRules?.["allow"];
  if (!Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const entry of allow) {
    if (isJsonObject(entry) && entry["type"] === "m.room_membership" && typeof entry["room_id"] === "string") out.push(entry["room_id"]);
  }
  return out;
}

/** The directory's view of a room (public_rooms_chunk.yaml); absent values are omitted. */
export function publicRoomChunk(roomId: string, joinedMembers: number, content: StateContent): PublicRoomChunk {
  const chunk: PublicRoomChunk = {
    room_id: roomId,
    num_joined_members: joinedMembers,
    world_readable: content("m.room.history_visibility")?.["history_visibility"] === "world_readable",
    guest_can_join: content("m.room.guest_access")?.["guest_access"] === "can_join",
  };
  const name = nonEmptyString(content("m.room.name")?.["name"]);
  if (name !== undefined) chunk.name = name;
  const topic = plainTextTopic(content("m.room.topic"));
  if (topic !== undefined) chunk.topic = topic;
  const avatar = nonEmptyString(content("m.room.avatar")?.["url"]);
  if (avatar !== undefined) chunk.avatar_url = avatar;
  const alias = nonEmptyString(content("m.room.canonical_alias")?.["alias"]);
  if (alias !== undefined) chunk.canonical_alias = alias;
  const joinRule = nonEmptyString(content("m.room.join_rules")?.["join_rule"]);
  if (joinRule !== undefined) chunk.join_rule = joinRule;
  const roomType = nonEmptyString(content("m.room.create")?.["type"]);
  if (roomType !== undefined) chunk.room_type = roomType;
  return chunk;
}

/** A room summary (room_summary.yaml): the directory fields plus version, encryption and allowed rooms. */
export function roomSummaryFields(roomId: string, version: RoomVersion, joinedMembers: number, content: StateContent): RoomSummaryFields {
  const fields: RoomSummaryFields = { ...publicRoomChunk(roomId, joinedMembers, content), room_version: version.id };
  const algorithm = nonEmptyString(content("m.room.encryption")?.["algorithm"]);
  if (algorithm !== undefined) fields.encryption = algorithm;
  const allowed = allowedRoomIds(version, content("m.room.join_rules"));
  if (allowed.length > 0) fields.allowed_room_ids = allowed;
  return fields;
}
