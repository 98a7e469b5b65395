/**
 * The auth difference (rooms/v2 "Auth difference"): with C_i the union of the auth chains of the
 * events of state set S_i, the events in some C_i but not in all, ∪C_i − ∩C_i.
 *
 * Computing every C_i in full would touch the whole state once per set. Instead: the events present
 * in every set (U) contribute the same ancestors A to every C_i, so C_i = A ∪ D_i with D_i the auth
 * chain of the set's other events, and the difference is (∪D_i − ∩D_i) − A. Walking the DAG, A is
 * one walk from U, and each D_i a walk that stops where it meets A (A is closed under ancestry).
 * With a caller-supplied auth-chain index, the D_i come from the index and A is only probed.
 */
import type { StateMap } from "../event.js";
import type { ConflictSplit } from "./conflict-split.js";
import type { EventGraph } from "./event-graph.js";

/** `split` is the v2 split of `stateSets`: its unconflicted values are exactly the events in every set. */
export function authDifference(graph: EventGraph, stateSets: readonly StateMap<string>[], split: ConflictSplit): Set<string> {
  const everywhere = split.unconflicted.values();
  const extras = stateSets.map((set) => {
    const ids: string[] = [];
    for (const key of split.conflicted.keys()) {
      const id = set.get(key);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  });

  if (graph.hasAuthChainIndex) return indexedDifference(graph, everywhere, extras);

  const shared = graph.walkAncestors(everywhere);
  const own = extras.map((ids) => graph.walkAncestors(ids, shared));
  return unionMinusIntersection(own);
}

function indexedDifference(graph: EventGraph, everywhere: Iterable<string>, extras: readonly string[][]): Set<string> {
  const own = extras.map((ids) => {
    const chain = new Set<string>();
    for (const id of ids) for (const ancestor of graph.authChain(id)) chain.add(ancestor);
    return chain;
  });
  const candidates = unionMinusIntersection(own);
  for (const id of everywhere) {
    if (candidates.size === 0) break;
    const chain = graph.authChain(id);
    if (chain.size < candidates.size) {
      for (const ancestor of chain) candidates.delete(ancestor);
    } else {
      for (const candidate of candidates) if (chain.has(candidate)) candidates.delete(candidate);
    }
  }
  return candidates;
}

function unionMinusIntersection(sets: readonly Set<string>[]): Set<string> {
  const counts = new Map<string, number>();
  for (const set of sets) for (const id of set) counts.set(id, (counts.get(id) ?? 0) + 1);
  const out = new Set<string>();
  for (const [id, count] of counts) if (count < sets.length) out.add(id);
  return out;
}
