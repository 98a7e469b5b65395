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
  const missingAgrees = rule === "missing-is-agreement";

  const collect = (key: StateKey): Set<string> => {
    const values = new Set<string>();
    for (const set of stateSets) {
      const value = set.get(key);
      if (value !== undefined) values.add(value);
    }
    return values;
  };
  const classify = (key: StateKey): void => {
    const values = collect(key);
    const agreed = values.size === 1 && (missingAgrees || stateSets.every((set) => set.has(key)));
    if (agreed) unconflicted.set(key, values.values().next().value as string);
    else conflicted.set(key, values);
  };

  // The common case is thousands of keys on which every set agrees: settle those without allocating
  // (forEach rather than for…of over entries, which makes an array per entry).
  first.forEach((value, key) => {
    for (const set of others) {
      const other = set.get(key);
      if (other !== value && !(other === undefined && missingAgrees)) {
        conflicted.set(key, collect(key));
        return;
      }
    }
    unconflicted.set(key, value);
  });
  // Then the keys the first set lacks.
  for (const set of others) {
    set.forEach((_, key) => {
      if (!first.has(key) && !conflicted.has(key) && !unconflicted.has(key)) classify(key);
    });
  }
  return { unconflicted, conflicted };
}
