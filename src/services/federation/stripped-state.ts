/**
 * The state events that help a user decide on an invite or knock (client-server API "Stripped
 * state"): sent to other servers as full PDUs (`invite_room_state`, `knock_room_state`, full since
 * v1.16), and reduced to `type`, `state_key`, `sender` and `content` for clients.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { splitStateKey, stateKey } from "../../protocol/event.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomHead } from "../rooms/current-state.js";

/** The spec's list of stripped state types. */
const STRIPPED_TYPES = new Set(["m.room.create", "m.room.name", "m.room.avatar", "m.room.topic", "m.room.join_rules", "m.room.canonical_alias", "m.room.encryption"]);

/**
 * Full PDUs of the room's stripped state, and the member event of `sender` if given (Synapse adds the
 * inviter's, so clients can show who invited).
 */
export async function strippedStatePdus(events: EventStore, head: RoomHead, sender?: string): Promise<JsonObject[]> {
  const ids = [...head.state].filter(([key]) => STRIPPED_TYPES.has(splitStateKey(key)[0])).map(([, id]) => id);
  const senderMember = sender !== undefined ? head.state.get(stateKey("m.room.member", sender)) : undefined;
  if (senderMember !== undefined) ids.push(senderMember);
  const out: JsonObject[] = [];
  for (const stored of (await events.getByIds(ids)).values()) {
    const { unsigned: _unsigned, ...pdu } = stored.pdu as unknown as JsonObject;
    out.push(pdu);
  }
  return out;
}

/** The client form of stripped state given by another server; entries without a type or state_key are dropped. */
export function toStrippedEvents(raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw)) return [];
  const out: Record<string, unknown>[] = [];
  for (const item of raw.slice(0, 100)) {
    if (!isJsonObject(item) || typeof item["type"] !== "string" || typeof item["state_key"] !== "string" || typeof item["sender"] !== "string") continue;
    out.push({ type: item["type"], state_key: item["state_key"], sender: item["sender"], content: isJsonObject(item["content"]) ? item["content"] : {} });
  }
  return out;
}
