/** The normalised RoomEvent of a stored event (computed once per stored object). */
import type { RoomEvent } from "../../protocol/event.js";
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

/** `m.relates_to` of an event's content, when it is well formed. */
export function relationOf(content: Record<string, unknown>): { relType: string; eventId: string; key?: string } | undefined {
  const relation = content["m.relates_to"];
  if (typeof relation !== "object" || relation === null) return undefined;
  const { rel_type: relType, event_id: eventId, key } = relation as Record<string, unknown>;
  if (typeof relType !== "string" || typeof eventId !== "string") return undefined;
  return { relType, eventId, ...(typeof key === "string" ? { key } : {}) };
}
