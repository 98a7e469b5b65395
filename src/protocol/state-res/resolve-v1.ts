/**
 * State resolution v1 (room version 1, rooms/v1.md "State resolution"). Known to reset state; kept
 * for the rooms that still use it.
 *
 * R starts as the unconflicted state. Conflicts are resolved in four passes, each against R as it
 * stood before the pass: the power levels, then join rules, then memberships (each picked by
 * `pickAuthEvent`), then every other key (`pickOtherEvent`). Where the spec is thin we follow what
 * Synapse's v1 resolver does (read, not copied):
 * - a key some sets lack but the others agree on is not a conflict (conflict-split.ts);
 * - conflicted events the source lacks are dropped; a key left with one event is unconflicted and
 *   one left with none is omitted;
 * - within a pass, keys are resolved independently against R from before the pass, so the result
 *   does not depend on the order in which keys are visited; R is updated after the pass;
 * - the power-levels pass covers the key (m.room.power_levels, ""); other power-levels keys, like
 *   every type besides join rules and members, go to the last pass;
 * - when no event of an ordinary key passes auth, the last one in the order (lowest depth) is kept;
 * - an event without a depth sorts as depth 0.
 */
import { createHash } from "node:crypto";
import type { AuthState } from "../auth/auth-state.js";
import { splitStateKey, stateKey, type RoomEvent, type StateKey, type StateMap } from "../event.js";
import { splitConflicts } from "./conflict-split.js";
import { POWER_LEVELS_KEY, type EventGraph } from "./event-graph.js";
import { isAllowed } from "./iterative-auth-checks.js";

export function resolveV1(graph: EventGraph, stateSets: readonly StateMap<string>[]): StateMap<string> {
  // The split's unconflicted map is ours: it becomes R.
  const { unconflicted: resolved, conflicted } = splitConflicts(stateSets, "missing-is-agreement");
  const contested = new Map<StateKey, RoomEvent[]>();
  for (const [key, ids] of conflicted) {
    const events = [...ids].map((id) => graph.get(id)).filter((event): event is RoomEvent => event !== undefined);
    if (events.length === 1) resolved.set(key, (events[0] as RoomEvent).event_id);
    else if (events.length > 1) contested.set(key, events);
  }
  if (contested.size === 0) return resolved;

  const order = new V1Order();
  const typeOf = (key: StateKey): string => splitStateKey(key)[0];
  const passes: ((key: StateKey) => boolean)[] = [
    (key) => key === POWER_LEVELS_KEY,
    (key) => typeOf(key) === "m.room.join_rules",
    (key) => typeOf(key) === "m.room.member",
  ];
  for (const inPass of passes) {
    const picks = new Map<StateKey, string>();
    for (const [key, events] of contested) {
      if (!inPass(key)) continue;
      picks.set(key, pickAuthEvent(graph, order, key, events, resolved));
      contested.delete(key);
    }
    for (const [key, id] of picks) resolved.set(key, id);
  }
  const picks = new Map<StateKey, string>();
  for (const [key, events] of contested) picks.set(key, pickOtherEvent(graph, order, events, resolved));
  for (const [key, id] of picks) resolved.set(key, id);
  return resolved;
}

/**
 * Auth-relevant conflicts: by ascending depth then descending sha1(event_id), take the first event,
 * then each next one while the auth rules allow it in R with the previous one applied.
 */
function pickAuthEvent(graph: EventGraph, order: V1Order, key: StateKey, events: RoomEvent[], state: StateMap<string>): string {
  const list = [...events].sort((a, b) => -order.compare(a, b));
  let previous = list[0] as RoomEvent;
  for (const event of list.slice(1)) {
    const authState = stateLookup(graph, state, key, previous);
    if (!isAllowed(graph, event, authState)) break;
    previous = event;
  }
  return previous.event_id;
}

/** Other conflicts: the highest depth, then lowest sha1(event_id), that passes auth in R. */
function pickOtherEvent(graph: EventGraph, order: V1Order, events: RoomEvent[], state: StateMap<string>): string {
  const list = [...events].sort((a, b) => order.compare(a, b));
  const authState = stateLookup(graph, state);
  for (const event of list) if (isAllowed(graph, event, authState)) return event.event_id;
  return (list[list.length - 1] as RoomEvent).event_id;
}

function stateLookup(graph: EventGraph, state: StateMap<string>, overrideKey?: StateKey, override?: RoomEvent): AuthState {
  return (type, key) => {
    const k = stateKey(type, key);
    if (k === overrideKey) return override;
    const id = state.get(k);
    return id === undefined ? undefined : graph.get(id);
  };
}

/** Depth descending, then sha1(event_id) ascending (hex of the UTF-8 bytes, as Synapse hashes). */
class V1Order {
  private readonly hashes = new Map<string, string>();

  compare(a: RoomEvent, b: RoomEvent): number {
    const da = a.depth ?? 0;
    const db = b.depth ?? 0;
    if (da !== db) return da > db ? -1 : 1;
    const ha = this.sha1(a.event_id);
    const hb = this.sha1(b.event_id);
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  }

  private sha1(id: string): string {
    let hash = this.hashes.get(id);
    if (hash === undefined) {
      hash = createHash("sha1").update(id, "utf8").digest("hex");
      this.hashes.set(id, hash);
    }
    return hash;
  }
}
