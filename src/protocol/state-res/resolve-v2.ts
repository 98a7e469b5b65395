/**
 * State resolution v2 (room versions 2–11, rooms/fragments/v2-state-res.md) and its v12 revision
 * "v2.1" (rooms/v12.md, MSC4297): the iterative auth checks of step 2 start from an EMPTY state
 * rather than the unconflicted state map, and the full conflicted set also takes in the conflicted
 * state subgraph.
 *
 * Events of the full conflicted set that the source does not have are dropped from it, as Synapse
 * does ("don't honour events we cannot verify"): the algorithm cannot order or auth-check them. An
 * unavailable event that is unconflicted stays in the result (step 5 needs no event body).
 */
import { isPowerEvent } from "../auth/power-events.js";
import type { RoomEvent, StateMap } from "../event.js";
import { authDifference } from "./auth-difference.js";
import { splitConflicts } from "./conflict-split.js";
import { conflictedSubgraph } from "./conflicted-subgraph.js";
import { POWER_LEVELS_KEY, type EventGraph } from "./event-graph.js";
import { iterativeAuthChecks, LayeredState } from "./iterative-auth-checks.js";
import { mainlineOrder } from "./mainline-ordering.js";
import { sortPowerEvents } from "./power-ordering.js";

export function resolveV2(graph: EventGraph, stateSets: readonly StateMap<string>[]): StateMap<string> {
  const split = splitConflicts(stateSets, "missing-is-conflict");
  const { unconflicted, conflicted } = split;
  if (conflicted.size === 0) return unconflicted;

  const conflictedIds = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);
  const fullIds = new Set(conflictedIds);
  for (const id of authDifference(graph, stateSets, split)) fullIds.add(id);
  const v21 = graph.version.stateRes === "v2.1";
  if (v21) for (const id of conflictedSubgraph(graph, conflictedIds)) fullIds.add(id);

  const full = new Map<string, RoomEvent>();
  for (const id of fullIds) {
    const event = graph.get(id);
    if (event && event.state_key !== undefined) full.set(id, event);
  }

  // Steps 1–2: power events and their conflicted ancestry, from the unconflicted map (v2) or empty (v2.1).
  const power = [...full.values()].filter((event) => isPowerEvent(event));
  const { sorted, picked } = sortPowerEvents(graph, power, full);
  const state = new LayeredState(v21 ? new Map() : unconflicted);
  iterativeAuthChecks(graph, sorted, state);

  // Steps 3–4: everything else, in mainline order of the partially resolved power levels.
  const rest = [...full.values()].filter((event) => !picked.has(event.event_id));
  iterativeAuthChecks(graph, mainlineOrder(graph, rest, state.get(POWER_LEVELS_KEY)), state);

  // Step 5: the unconflicted state map wins; the checks only add the other keys. (The split's map is
  // ours to reuse as the result.)
  for (const [key, id] of state.changes) if (!unconflicted.has(key)) unconflicted.set(key, id);
  return unconflicted;
}
