/**
 * The view of room state that the authorization rules read, and the error they throw.
 *
 * Auth rules are checked against several different sets of state (the event's own auth events, the
 * state before it, the current state: server-server-api "Checks performed on receipt of a PDU"), so
 * they take a lookup function rather than a concrete map.
 */
import { stateKey, type RoomEvent, type StateKey } from "../event.js";

/** Looks up the current value of a piece of state as the auth rules see it. */
export type AuthState = (type: string, stateKey: string) => RoomEvent | undefined;

/** An event is not allowed by the auth rules. `rule` names the rule that failed, for logs and tests. */
export class AuthError extends Error {
  override name = "AuthError";
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** An AuthState over a plain map keyed by `stateKey(type, key)` from event.ts. */
export function authStateFromMap(map: ReadonlyMap<StateKey, RoomEvent>): AuthState {
  return (type, key) => map.get(stateKey(type, key));
}

/** An AuthState over a list of state events (later entries win). */
export function authStateFromEvents(events: Iterable<RoomEvent>): AuthState {
  const map = new Map<StateKey, RoomEvent>();
  for (const event of events) {
    if (event.state_key !== undefined) map.set(stateKey(event.type, event.state_key), event);
  }
  return authStateFromMap(map);
}

/** The `content.membership` of a user's current member event, if any. */
export function membershipOf(authState: AuthState, userId: string): string | undefined {
  const membership = authState("m.room.member", userId)?.content["membership"];
  return typeof membership === "string" ? membership : undefined;
}
