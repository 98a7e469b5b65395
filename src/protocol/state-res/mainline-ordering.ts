/**
 * Step 3 of the v2 algorithm: the *mainline ordering* (rooms/v2 "Mainline ordering") of the events
 * left after step 1, based on the power-levels event of the partially resolved state.
 *
 * The mainline of P0 is P0, the power-levels event among its auth events P1, and so on. An event's
 * mainline position is the index i of the first Pi met walking its own power-levels ancestry (the
 * event itself excluded), or ∞ if it never meets the mainline. Events sort by position descending
 * (older epochs first, ∞ first of all), then origin_server_ts, then event ID.
 *
 * Positions are memoised per power-levels event, so each power-levels chain is walked once however
 * many events hang off it.
 */
import type { RoomEvent } from "../event.js";
import { compareTimestampThenId, type EventGraph } from "./event-graph.js";

export function mainlineOrder(graph: EventGraph, events: readonly RoomEvent[], powerLevelsId: string | undefined): RoomEvent[] {
  if (events.length === 0) return [];
  const positions = new Map<string, number>();
  let index = 0;
  for (let id = powerLevelsId; id !== undefined && !positions.has(id); index++) {
    positions.set(id, index);
    const event = graph.get(id);
    id = event ? graph.powerLevelsAuthEventId(event) : undefined;
  }

  /** Position of a power-levels event found while walking: its own index, or its ancestors'. */
  const positionFrom = (start: string): number => {
    const path = new Set<string>();
    let position = Infinity;
    for (let id: string | undefined = start; id !== undefined; ) {
      const known = positions.get(id);
      if (known !== undefined) {
        position = known;
        break;
      }
      path.add(id);
      const event = graph.get(id);
      id = event ? graph.powerLevelsAuthEventId(event) : undefined;
      // A cycle (impossible with hashed event IDs) ends the walk like a missing event.
      if (id !== undefined && path.has(id)) break;
    }
    for (const id of path) positions.set(id, position);
    return position;
  };

  const keyed = events.map((event) => {
    const parent = graph.powerLevelsAuthEventId(event);
    return { event, position: parent === undefined ? Infinity : positionFrom(parent) };
  });
  keyed.sort((a, b) => (a.position !== b.position ? b.position - a.position : compareTimestampThenId(a.event, b.event)));
  return keyed.map((entry) => entry.event);
}
