/**
 * The room's current state after an event on a fork of its graph (its state before is not our
 * current state): the current state and the state after the event, resolved by the room version's
 * algorithm. State resolution depends only on the set of state sets, so two servers that each
 * receive the other's fork compute the same answer — the partitioned rooms converge.
 *
 * (Synapse resolves the states of all forward extremities; resolving the current state, which is
 * itself the resolution of the earlier extremities, with the new fork is what Conduit does and
 * costs one resolution of two sets per forked event.)
 */
import { stateKey, type RoomEvent, type StateKey } from "../../protocol/event.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import { resolveState } from "../../protocol/state-res/resolve-state.js";
import type { EventStore } from "../../storage/event-store.js";
import { loadAuthClosure } from "./inbound-pdu-state.js";

/** The state after `event` given the state before it. */
export function stateAfter(before: ReadonlyMap<StateKey, string>, event: RoomEvent): ReadonlyMap<StateKey, string> {
  if (typeof event.state_key !== "string") return before;
  const after = new Map(before);
  after.set(stateKey(event.type, event.state_key), event.event_id);
  return after;
}

/** Whether two state maps differ in any key (a cheap test before resolving). */
function conflicts(a: ReadonlyMap<StateKey, string>, b: ReadonlyMap<StateKey, string>): boolean {
  if (a === b) return false;
  if (a.size !== b.size) return true;
  for (const [key, id] of a) if (b.get(key) !== id) return true;
  return false;
}

export async function resolveWithFork(
  events: EventStore,
  version: RoomVersion,
  current: ReadonlyMap<StateKey, string>,
  forkState: ReadonlyMap<StateKey, string>,
  incoming: RoomEvent,
): Promise<ReadonlyMap<StateKey, string>> {
  if (!conflicts(current, forkState)) return current;
  // Resolution is synchronous: the auth chains of every state event of both sets are loaded first.
  // The incoming event is not stored yet; its auth events are.
  const closure = await loadAuthClosure(events, version, [...current.values(), ...forkState.values(), ...incoming.auth_events]);
  const lookup = (id: string): RoomEvent | undefined => (id === incoming.event_id ? incoming : closure.get(id)?.event);
  return resolveState(version, [current as Map<StateKey, string>, forkState as Map<StateKey, string>], { get: lookup }, { isRejected: (id) => closure.get(id)?.stored.rejectedReason != null });
}
