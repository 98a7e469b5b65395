/**
 * The *iterative auth checks* (rooms/v2): apply each event, in order, to a room state if the
 * authorisation rules allow it against that state, else ignore it. A key the rules need that the
 * state lacks is read from the event's own auth events; rejected events are never used as auth
 * events, neither from the state nor from `auth_events` (rooms/v2 "Rejected events").
 *
 * Rejected events themselves are checked like any other ("handled as usual by the algorithm"):
 * Synapse keeps them out of the state instead, which its own code calls not spec compliant.
 */
import { checkEventAuth } from "../auth/check-auth.js";
import type { AuthState } from "../auth/auth-state.js";
import { stateKey, type RoomEvent, type StateKey } from "../event.js";
import type { EventGraph } from "./event-graph.js";

/**
 * A room state as a base map plus the changes made on top of it: the base is the unconflicted state,
 * often thousands of entries, and copying it would cost more than the checks themselves.
 */
export class LayeredState {
  readonly changes = new Map<StateKey, string>();

  constructor(readonly base: ReadonlyMap<StateKey, string>) {}

  get(key: StateKey): string | undefined {
    return this.changes.get(key) ?? this.base.get(key);
  }
}

/** Runs the checks over `events` in order, recording accepted events in `state.changes`. */
export function iterativeAuthChecks(graph: EventGraph, events: readonly RoomEvent[], state: LayeredState): void {
  for (const event of events) {
    if (event.state_key === undefined) continue;
    const own = graph.authEventsByKey(event, true);
    const authState: AuthState = (type, key) => {
      const k = stateKey(type, key);
      const id = state.get(k);
      if (id !== undefined && !graph.isRejected(id)) {
        const current = graph.get(id);
        if (current) return current;
      }
      return own.get(k);
    };
    if (isAllowed(graph, event, authState)) state.changes.set(stateKey(event.type, event.state_key), event.event_id);
  }
}

/**
 * Whether the auth rules allow the event. Any error counts as "not allowed", not only AuthError: an
 * event the rules cannot even evaluate (malformed content from a remote server) must be ignored like
 * any refused event rather than make the room's state unresolvable.
 */
export function isAllowed(graph: EventGraph, event: RoomEvent, authState: AuthState): boolean {
  try {
    checkEventAuth(graph.version, event, authState);
    return true;
  } catch {
    return false;
  }
}
