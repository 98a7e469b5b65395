/**
 * Step 1 of the v2 algorithm: the power events of the full conflicted set, enlarged with the events
 * of their auth chains that are in the full conflicted set, sorted by the *reverse topological power
 * ordering* (rooms/v2 "Reverse topological power ordering"): Kahn's algorithm over the auth DAG,
 * taking at each step the smallest ready event by (sender's power level descending,
 * origin_server_ts, event ID).
 *
 * The spec says "the auth chain of P"; Synapse and Ruma follow auth events only through events of
 * the full conflicted set and use the direct `auth_events` links between them as the DAG's edges.
 * The two readings differ only when a conflicted ancestor is reachable solely through an event
 * outside the set; we do what the other implementations do, since servers must agree.
 * Events on an `auth_events` cycle — impossible with hashed event IDs, conceivable with v1–2 IDs from
 * a malicious server — never become ready and are left out.
 */
import type { RoomEvent } from "../event.js";
import { BinaryHeap } from "./binary-heap.js";
import { compareTimestampThenId, type EventGraph } from "./event-graph.js";

export interface PowerSortResult {
  readonly sorted: RoomEvent[];
  /** Every event picked in step 1 (the sorted list plus any left out on a cycle). */
  readonly picked: ReadonlySet<string>;
}

export function sortPowerEvents(
  graph: EventGraph,
  powerEvents: readonly RoomEvent[],
  fullConflicted: ReadonlyMap<string, RoomEvent>,
): PowerSortResult {
  // Outgoing edges (to auth events inside the set) and their reverse.
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const stack = powerEvents.map((event) => event.event_id);
  for (const id of stack) pending.set(id, 0);
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    const event = fullConflicted.get(id) as RoomEvent;
    const parents = new Set(graph.authEventIds(event));
    for (const parent of parents) {
      if (!fullConflicted.has(parent)) continue;
      pending.set(id, (pending.get(id) ?? 0) + 1);
      let list = dependents.get(parent);
      if (!list) dependents.set(parent, (list = []));
      list.push(id);
      if (!pending.has(parent)) {
        pending.set(parent, 0);
        stack.push(parent);
      }
    }
  }

  const level = new Map<string, number>();
  for (const id of pending.keys()) level.set(id, graph.senderPowerLevel(fullConflicted.get(id) as RoomEvent));
  const heap = new BinaryHeap<RoomEvent>((a, b) => {
    const la = level.get(a.event_id) as number;
    const lb = level.get(b.event_id) as number;
    if (la !== lb) return la > lb;
    return compareTimestampThenId(a, b) < 0;
  });
  for (const [id, count] of pending) if (count === 0) heap.push(fullConflicted.get(id) as RoomEvent);

  const sorted: RoomEvent[] = [];
  for (let event = heap.pop(); event !== undefined; event = heap.pop()) {
    sorted.push(event);
    for (const dependent of dependents.get(event.event_id) ?? []) {
      const left = (pending.get(dependent) as number) - 1;
      pending.set(dependent, left);
      if (left === 0) heap.push(fullConflicted.get(dependent) as RoomEvent);
    }
  }
  return { sorted, picked: new Set(pending.keys()) };
}
