/**
 * Steps 4 and 5 of the checks on a received PDU: the auth rules against the event's own auth events,
 * and against a state (the state before it, or the room's current state). The events are looked up
 * through a synchronous source the caller filled; the answer is a reason to refuse, or undefined.
 */
import { authEventKeys } from "../../protocol/auth/auth-event-selection.js";
import { AuthError, authStateFromMap } from "../../protocol/auth/auth-state.js";
import { checkEventAuth, checkEventAuthWithAuthEvents } from "../../protocol/auth/check-auth.js";
import { stateKey, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { createEventIdFromRoomId } from "../../protocol/room-id.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { EventStore } from "../../storage/event-store.js";
import { roomEventOf } from "../rooms/room-event-view.js";

export type EventLookup = (eventId: string) => RoomEvent | undefined;

/** The event IDs `authByAuthEvents` reads: the auth events, and in v12 the room's create event. */
export function authEventIdsNeeded(version: RoomVersion, event: RoomEvent): string[] {
  const ids = [...event.auth_events];
  if (version.roomIdFromCreateEvent && event.type !== "m.room.create") ids.push(createEventIdFromRoomId(event.room_id));
  return ids;
}

/** The event IDs `authByState` reads from `state`. */
export function stateIdsNeeded(version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, string>): string[] {
  const keys = [...authEventKeys(version, event), ["m.room.create", ""] as [string, string]];
  return keys.map(([type, key]) => state.get(stateKey(type, key))).filter((id): id is string => id !== undefined);
}

function reasonOf(error: unknown): string {
  if (error instanceof AuthError) return `refused by the auth rules (${error.rule}): ${error.message}`;
  return `cannot be authorised: ${(error as Error).message}`;
}

/** Checks `event` against its own auth events, which must all be known (and accepted: the caller's lookup holds only those). */
export function authByAuthEvents(version: RoomVersion, event: RoomEvent, lookup: EventLookup): string | undefined {
  const authEvents: RoomEvent[] = [];
  for (const id of event.auth_events) {
    const authEvent = lookup(id);
    if (!authEvent) return `auth event ${id} is unknown or was rejected`;
    authEvents.push(authEvent);
  }
  const create = version.roomIdFromCreateEvent && event.type !== "m.room.create" ? lookup(createEventIdFromRoomId(event.room_id)) : undefined;
  try {
    checkEventAuthWithAuthEvents(version, event, authEvents, create);
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** Checks `event` against a state map, reading the events the rules need through `lookup`. */
export function authByState(version: RoomVersion, event: RoomEvent, state: ReadonlyMap<StateKey, string>, lookup: EventLookup): string | undefined {
  const authState = new Map<StateKey, RoomEvent>();
  for (const id of stateIdsNeeded(version, event, state)) {
    const stateEvent = lookup(id);
    if (stateEvent?.state_key !== undefined) authState.set(stateKey(stateEvent.type, stateEvent.state_key), stateEvent);
  }
  try {
    checkEventAuth(version, event, authStateFromMap(authState));
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** A lookup over stored events: loads `ids` first; rejected events are left out. */
export async function storedLookup(events: EventStore, version: RoomVersion, ids: readonly string[]): Promise<EventLookup> {
  const found = await events.getByIds(ids);
  const map = new Map<string, RoomEvent>();
  for (const stored of found.values()) if (stored.rejectedReason === null) map.set(stored.eventId, roomEventOf(stored, version));
  return (id) => map.get(id);
}
