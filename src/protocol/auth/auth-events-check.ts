/**
 * Rule 3 of v12 (2 of v1–11): the event's own `auth_events` must be exactly what auth events selection
 * allows, once each, from this room; they then serve as the state the other rules read.
 */
import { stateKey, type RoomEvent, type StateKey } from "../event.js";
import type { RoomVersion } from "../room-versions.js";
import { authEventKeys } from "./auth-event-selection.js";
import { AuthError, authStateFromMap, type AuthState } from "./auth-state.js";

/**
 * Validates `authEvents` for `event` and returns them as an AuthState. `authEvents` must be the events
 * that `event.auth_events` names (a mismatch is the caller's bug and throws a plain Error), already
 * known not to be rejected. In v12 the create event is not among them; pass it as `createEvent`.
 */
export function authStateFromAuthEvents(
  version: RoomVersion,
  event: RoomEvent,
  authEvents: readonly RoomEvent[],
  createEvent?: RoomEvent,
): AuthState {
  if (new Set(event.auth_events).size !== event.auth_events.length) {
    throw new AuthError("auth_events.duplicate", "the same auth event is cited twice");
  }
  const given = new Set(authEvents.map((e) => e.event_id));
  if (given.size !== authEvents.length || given.size !== event.auth_events.length || event.auth_events.some((id) => !given.has(id))) {
    throw new Error(`auth events passed for ${event.event_id} are not the ones it names`);
  }

  const allowed = new Set(authEventKeys(version, event).map(([type, key]) => stateKey(type, key)));
  const state = new Map<StateKey, RoomEvent>();
  for (const authEvent of authEvents) {
    if (authEvent.room_id !== event.room_id) {
      throw new AuthError("auth_events.room", `auth event ${authEvent.event_id} is from another room`);
    }
    if (authEvent.state_key === undefined) {
      throw new AuthError("auth_events.not_state", `auth event ${authEvent.event_id} is not a state event`);
    }
    const key = stateKey(authEvent.type, authEvent.state_key);
    if (state.has(key)) {
      throw new AuthError("auth_events.duplicate", `two auth events for (${authEvent.type}, ${authEvent.state_key})`);
    }
    if (!allowed.has(key)) {
      throw new AuthError("auth_events.unexpected", `auth event ${authEvent.event_id} is not one the event may cite`);
    }
    state.set(key, authEvent);
  }

  const createKey = stateKey("m.room.create", "");
  if (version.roomIdFromCreateEvent) {
    // v12 rule 2: the room ID names the create event; checkEventAuth compares them.
    if (createEvent?.type !== "m.room.create") throw new AuthError("create.missing", "the room's create event is unknown");
    state.set(createKey, createEvent);
  } else if (!state.has(createKey)) {
    throw new AuthError("auth_events.no_create", "no m.room.create among the auth events");
  }
  return authStateFromMap(state);
}
