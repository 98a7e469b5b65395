/**
 * Splitting state sets into the unconflicted state map and the conflicted state set.
 *
 * The two algorithms disagree on a key that only some state sets have:
 * - v2 and later (rooms/v2 "Unconflicted state map and conflicted state set"): a pair is unconflicted
 *   only if the key is present in EVERY set with the same value; a key missing from one set is
 *   conflicted.
 * - v1 (rooms/v1 "State resolution"): a conflict is "different event_ids for the same key", so a key
 *   that some sets lack but all others agree on is unconflicted (Synapse's v1 resolver does the same).
 */
import type { StateKey, StateMap } from "../event.js";

export interface ConflictSplit {
  readonly unconflicted: StateMap<string>;
  /** Each conflicted key with its distinct event IDs (at least one). */
  readonly conflicted: Map<StateKey, Set<string>>;
}

export type MissingKeyRule = "missing-is-conflict" | "missing-is-agreement";

export function splitConflicts(stateSets: readonly StateMap<string>[], rule: MissingKeyRule): ConflictSplit {
  const unconflicted: StateMap<string> = new Map();
  const conflicted = new Map<StateKey, Set<string>>();
  const [first, ...others] = stateSets;
  if (!first) return { unconflicted, conflicted };

  const seen = new Set<StateKey>();
  const classify = (key: StateKey): void => {
    seen.add(key);
    const values = new Set<string>();
    let missing = false;
    for (const set of stateSets) {
      const value = set.get(key);
      if (value === undefined) missing = true;
      else values.add(value);
    }
    const agreed = values.size === 1 && (!missing || rule === "missing-is-agreement");
    if (agreed) unconflicted.set(key, values.values().next().value as string);
    else conflicted.set(key, values);
  };

  // Walk the first set, then only the keys the others add: one pass over each set, and each key
  // looked up once per set.
  for (const key of first.keys()) classify(key);
  for (const set of others) {
    for (const key of set.keys()) if (!seen.has(key)) classify(key);
  }
  return { unconflicted, conflicted };
}
