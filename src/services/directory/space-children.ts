/**
 * The children of a space (client-server API "Spaces", `m.space.child`): the live child events of a
 * space's current state, in the spec's order, as the stripped events with a timestamp that both the
 * client and the federation hierarchy APIs return.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { StoredEvent } from "../../storage/event-store.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { visibleContent } from "./summary-fields.js";

export interface StrippedChild {
  type: string;
  state_key: string;
  content: JsonObject;
  sender: string;
  origin_server_ts: number;
}

/** `order` counts only when it is a string of at most 50 characters in U+0020–U+007E (spec, m.space.child). */
function validOrder(content: JsonObject): string | undefined {
  const order = content["order"];
  return typeof order === "string" && order.length <= 50 && /^[\x20-\x7e]*$/.test(order) ? order : undefined;
}

/** Children with a valid `order` first (by code point), then by timestamp, then by room ID (spec "Ordering of children"). */
export function compareChildren(a: StrippedChild, b: StrippedChild): number {
  const oa = validOrder(a.content);
  const ob = validOrder(b.content);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0;
}

/** A child link is live while its `via` is a non-empty list of strings (removed children have none). */
export function hasValidVia(content: JsonObject): boolean {
  const via = content["via"];
  return Array.isArray(via) && via.length > 0 && via.every((v) => typeof v === "string");
}

/** The servers a child event says the child can be reached through. */
export function viaOf(child: StrippedChild): string[] {
  const via = child.content["via"];
  return Array.isArray(via) ? via.filter((v): v is string => typeof v === "string") : [];
}

/** The live `m.space.child` events of a space, ordered, as stripped events with their timestamp. */
export async function spaceChildren(reader: RoomStateReader, head: RoomHead, suggestedOnly: boolean): Promise<StrippedChild[]> {
  const events: StoredEvent[] = await reader.stateEvents(head, new Set(["m.space.child"]));
  const out: StrippedChild[] = [];
  for (const stored of events) {
    const content = visibleContent(stored, head.version);
    if (!hasValidVia(content)) continue;
    if (suggestedOnly && content["suggested"] !== true) continue;
    const stateKey = stored.pdu.state_key;
    if (typeof stateKey !== "string") continue;
    out.push({ type: "m.space.child", state_key: stateKey, content: isJsonObject(content) ? content : {}, sender: stored.pdu.sender, origin_server_ts: Number(stored.pdu.origin_server_ts) });
  }
  return out.sort(compareChildren);
}
