/** The normalised RoomEvent of a stored event (computed once per stored object). */
import type { RoomEvent } from "../../protocol/event.js";
import { couldBeEventId } from "../../protocol/identifiers.js";
import { toRoomEvent } from "../../protocol/pdu-format.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { StoredEvent } from "../../storage/event-store.js";

const views = new WeakMap<StoredEvent, RoomEvent>();

export function roomEventOf(stored: StoredEvent, version: RoomVersion): RoomEvent {
  let view = views.get(stored);
  if (!view) {
    view = toRoomEvent(stored.pdu, version, stored.eventId);
    views.set(stored, view);
  }
  return view;
}

/**
 * `m.relates_to` of an event's content, when it is well formed: a relation type and something that
 * can be an event ID (couldBeEventId: the sigil, the length limit, no NUL). The event ID's exact grammar
 * is left to the lookups (a relation to an event never seen is kept, as Synapse keeps it), but a value
 * no event can have relates to nothing: it is neither indexed nor aggregated.
 */
export function relationOf(content: Record<string, unknown>): { relType: string; eventId: string; key?: string } | undefined {
  const relation = content["m.relates_to"];
  if (typeof relation !== "object" || relation === null) return undefined;
  const { rel_type: relType, event_id: eventId, key } = relation as Record<string, unknown>;
  if (typeof relType !== "string" || relType === "" || relType.includes("\0")) return undefined;
  if (typeof eventId !== "string" || !couldBeEventId(eventId)) return undefined;
  return { relType, eventId, ...(typeof key === "string" ? { key } : {}) };
}
