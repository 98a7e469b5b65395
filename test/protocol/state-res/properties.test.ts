/**
 * Property tests: the resolved state is the same whatever the order of the state sets, the insertion
 * order of each map and of the event source, whether auth chains are walked or come from an index,
 * and events missing from the source never make resolution throw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RoomEvent, StateMap } from "../../../src/protocol/event.js";
import { getRoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState } from "../../../src/protocol/state-res/resolve-state.js";
import { buildRandomRoom, stepArb } from "./random-room.js";
import { describeState, loadBatch, loadIdList, MapSource, naiveAuthChainIndex, stateOf, versionOf } from "./support.js";

/** A permutation of `items` driven by fast-check (sort by random keys; ties keep the order). */
const permutationArb = <T>(items: readonly T[]): fc.Arbitrary<T[]> =>
  fc.array(fc.double({ noNaN: true }), { minLength: items.length, maxLength: items.length }).map((keys) =>
    items.map((item, i) => ({ item, key: keys[i] as number })).sort((a, b) => a.key - b.key).map((x) => x.item),
  );

/** The same state sets with shuffled set order and shuffled entry order inside each map. */
function reorder(sets: readonly StateMap<string>[], setOrder: number[], entrySeeds: number[]): StateMap<string>[] {
  return setOrder.map((index, n) => {
    const entries = [...(sets[index] as StateMap<string>)];
    const seed = entrySeeds[n % entrySeeds.length] ?? 0;
    const keyed = entries.map((entry, i) => ({ entry, key: Math.sin(seed * 7919 + i * 104729) }));
    keyed.sort((a, b) => a.key - b.key);
    return new Map(keyed.map((x) => x.entry));
  });
}

/** A new source holding the same events, inserted in another order. */
function reorderSource(source: MapSource, order: number[]): MapSource {
  const events = [...source.events.values()];
  return new MapSource(order.map((i) => events[i % events.length] as RoomEvent));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("state resolution properties: fixtures", () => {
  const scenarios: Array<{ name: string; events: RoomEvent[]; sets: StateMap<string>[] }> = [];
  for (const problem of ["A", "B"]) {
    for (const v of ["11", "12"]) {
      const events = loadBatch(`MSC4297-problem-${problem}/pdus-v${v}.json`);
      const byId = new Map(events.map((e) => [e.event_id, e]));
      const files = problem === "A" ? ["state-bob", "state-charlie"] : ["state-eve", "state-zara"];
      const sets = files.map((f) => stateOf(...loadIdList(`MSC4297-problem-${problem}/${f}.json`).map((id) => byId.get(id) as RoomEvent)));
      scenarios.push({ name: `MSC4297 problem ${problem}, v${v}`, events, sets });
    }
  }
  for (const files of [["bootstrap-public-chat", "topic-vs-ban-common", "topic-vs-ban-alice", "topic-vs-ban-bob"], ["bootstrap-public-chat", "join-rules-vs-join-common", "join-rules-vs-join-alice", "join-rules-vs-join-ella"]]) {
    const events = files.flatMap((f) => loadBatch(`${f}.json`));
    scenarios.push({ name: files.slice(1).join(" + "), events, sets: events.map((e) => stateOf(e)) });
  }

  for (const { name, events, sets } of scenarios) {
    it(`${name}: any order of sets, entries and source gives the same state`, () => {
      const version = versionOf(events);
      const source = new MapSource(events);
      const reference = describeState(resolveState(version, sets, source));
      fc.assert(
        fc.property(permutationArb(range(sets.length)), fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), permutationArb(range(events.length)), (setOrder, seeds, sourceOrder) => {
          const result = resolveState(version, reorder(sets, setOrder, seeds), reorderSource(source, sourceOrder));
          assert.deepEqual(describeState(result), reference);
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe("state resolution properties: random rooms", () => {
  for (const versionId of ["1", "2", "10", "11", "12"]) {
    const version = getRoomVersion(versionId);

    it(`room version ${versionId}: order-independent and index-independent`, () => {
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 3, maxLength: 25 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.nat(), (steps, seeds, rotate) => {
          const room = buildRandomRoom(version, steps);
          const sets = room.leaves.map((id) => room.after.get(id) as StateMap<string>);
          const reference = describeState(resolveState(version, sets, room.source));
          const order = range(sets.length).map((i) => (i + rotate) % sets.length).reverse();
          const reordered = resolveState(version, reorder(sets, order, seeds), reorderSource(room.source, range(room.events.length).reverse()));
          assert.deepEqual(describeState(reordered), reference);
          const indexed = resolveState(version, sets, room.source, naiveAuthChainIndex(version, room.source));
          assert.deepEqual(describeState(indexed), reference);
        }),
        { numRuns: 40 },
      );
    });

    it(`room version ${versionId}: events missing from the source never throw, and order still does not matter`, () => {
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 3, maxLength: 20 }), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }), (steps, drop) => {
          const room = buildRandomRoom(version, steps);
          const sets = room.leaves.map((id) => room.after.get(id) as StateMap<string>);
          const kept = room.events.filter((_, i) => !(drop[i % drop.length] ?? false));
          const partial = new MapSource(kept);
          const forward = describeState(resolveState(version, sets, partial));
          const backward = describeState(resolveState(version, [...sets].reverse(), new MapSource([...kept].reverse())));
          assert.deepEqual(backward, forward);
        }),
        { numRuns: 40 },
      );
    });
  }
});
