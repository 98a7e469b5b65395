/**
 * State resolution for every room version: merges the states of several forks of a room's DAG (maps
 * of `stateKey(type, key)` -> event ID) into one, by the algorithm the room version names
 * (`version.stateRes`). Pure and synchronous: the caller supplies the events.
 *
 * Missing events (not in the source) never throw. Conflicted events that cannot be fetched are
 * dropped from the conflict, as Synapse does (it resolves with the events it could fetch); missing
 * auth events are treated as absent (they cannot be walked, checked or ordered); unconflicted
 * entries are kept whether or not the source has them.
 *
 * The answer depends only on the set of state sets and the events, never on the order of the sets,
 * of map entries or of source lookups: every choice goes through a total order ending in event IDs.
 */
import type { StateMap } from "../event.js";
import type { RoomVersion } from "../room-versions.js";
import { EventGraph } from "./event-graph.js";
import { resolveV1 } from "./resolve-v1.js";
import { resolveV2 } from "./resolve-v2.js";
import type { EventSource, StateResOptions } from "./types.js";

export type { EventSource, StateResOptions } from "./types.js";

/** Resolves state sets into one per the room version's algorithm (v1, v2 or v2.1). */
export function resolveState(
  version: RoomVersion,
  stateSets: readonly StateMap<string>[],
  events: EventSource,
  options: StateResOptions = {},
): StateMap<string> {
  if (stateSets.length === 0) return new Map();
  if (stateSets.length === 1) return new Map(stateSets[0]);
  const graph = new EventGraph(version, events, options);
  return version.stateRes === "v1" ? resolveV1(graph, stateSets) : resolveV2(graph, stateSets);
}
