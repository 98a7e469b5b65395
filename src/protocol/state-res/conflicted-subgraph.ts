/**
 * The conflicted state subgraph (rooms/v12, MSC4297): every event on an `auth_events` path from one
 * event of the conflicted state set to another, endpoints included. A lone conflicted event with no
 * such path is not in it (it is in the full conflicted set anyway).
 *
 * Two walks: backwards from the conflicted events over their whole ancestry, remembering child
 * links; then forwards, along those links, from the conflicted events that turned out to be
 * ancestors of other conflicted events. Every event reached forwards lies between a conflicted
 * descendant and a conflicted ancestor.
 */
import type { EventGraph } from "./event-graph.js";

export function conflictedSubgraph(graph: EventGraph, conflicted: ReadonlySet<string>): Set<string> {
  const children = new Map<string, string[]>();
  const ancestors = new Set<string>();
  const visited = new Set(conflicted);
  const stack = [...conflicted];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    const event = graph.get(id);
    if (!event) continue;
    for (const parent of graph.authEventIds(event)) {
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(id);
      ancestors.add(parent);
      if (!visited.has(parent)) {
        visited.add(parent);
        stack.push(parent);
      }
    }
  }

  const subgraph = new Set<string>();
  for (const id of conflicted) {
    if (ancestors.has(id)) {
      subgraph.add(id);
      stack.push(id);
    }
  }
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const child of children.get(id) ?? []) {
      if (!subgraph.has(child)) {
        subgraph.add(child);
        stack.push(child);
      }
    }
  }
  return subgraph;
}
