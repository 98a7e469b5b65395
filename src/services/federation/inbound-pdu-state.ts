/**
 * The state before a received event (server-server API "Checks performed on receipt of a PDU", step
 * 5): when its prev_events are exactly our forward extremities, our current state; otherwise the
 * states after each prev event, resolved with the room version's state resolution.
 */
import type { RoomEvent, StateKey } from "../../protocol/event.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import { resolveState } from "../../protocol/state-res/resolve-state.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { SnapshotRef, StateStore } from "../../storage/state-store.js";
import type { RoomHead } from "../rooms/current-state.js";
import { roomEventOf } from "../rooms/room-event-view.js";

export type StateBefore =
  | { readonly ok: true; readonly state: ReadonlyMap<StateKey, string>; readonly snapshot: SnapshotRef | null }
  | { readonly ok: false; readonly missing: readonly string[] };

/**
 * Every event reachable from `ids` through auth_events (the `ids` themselves included), as far as
 * we store them; state resolution and send_join's auth chain read from it.
 */
export async function loadAuthClosure(events: EventStore, version: RoomVersion, ids: Iterable<string>): Promise<Map<string, { stored: StoredEvent; event: RoomEvent }>> {
  const out = new Map<string, { stored: StoredEvent; event: RoomEvent }>();
  let frontier = [...new Set(ids)];
  const asked = new Set(frontier);
  while (frontier.length > 0) {
    const found = await events.getByIds(frontier);
    const next: string[] = [];
    for (const stored of found.values()) {
      const event = roomEventOf(stored, version);
      out.set(stored.eventId, { stored, event });
      for (const id of event.auth_events) {
        if (!asked.has(id)) {
          asked.add(id);
          next.push(id);
        }
      }
    }
    frontier = next;
  }
  return out;
}

export class StateBeforeResolver {
  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
  ) {}

  /** The state before `event` in the room of `head`, or the prev events we lack. */
  async stateBefore(head: RoomHead, event: RoomEvent): Promise<StateBefore> {
    const prevs = [...new Set(event.prev_events)];
    const extremities = new Set(head.extremities);
    if (prevs.length === extremities.size && prevs.every((id) => extremities.has(id))) {
      return { ok: true, state: head.state, snapshot: head.snapshot };
    }
    const stored = await this.events.getByIds(prevs);
    // An outlier has no state of ours after it: it counts as missing. (A rejected event has one: the state before it, which it did not change.)
    const missing = prevs.filter((id) => {
      const prev = stored.get(id);
      return !prev || prev.outlier || prev.stateSnapshotNid === null;
    });
    if (missing.length > 0) return { ok: false, missing };
    const sets: Map<StateKey, string>[] = [];
    for (const id of prevs) sets.push(await this.stateOfSnapshot((stored.get(id) as StoredEvent).stateSnapshotNid as number));
    if (sets.length === 1) {
      const only = stored.get(prevs[0] as string) as StoredEvent;
      return { ok: true, state: sets[0] as Map<StateKey, string>, snapshot: await this.states.snapshotRef(only.stateSnapshotNid as number) };
    }
    // State resolution is synchronous: everything it may walk (the auth chains of every state event
    // of every set) is loaded first.
    const closure = await loadAuthClosure(this.events, head.version, sets.flatMap((s) => [...s.values()]));
    const resolved = resolveState(head.version, sets, { get: (id) => closure.get(id)?.event }, { isRejected: (id) => closure.get(id)?.stored.rejectedReason != null });
    return { ok: true, state: resolved, snapshot: null };
  }

  private async stateOfSnapshot(snapshotNid: number): Promise<Map<StateKey, string>> {
    const nidState = await this.states.loadSnapshot(snapshotNid);
    const keys = await this.states.stateKeysOf([...nidState.keys()]);
    const ids = await this.events.eventIdsOf([...nidState.values()]);
    const state = new Map<StateKey, string>();
    for (const [keyNid, eventNid] of nidState) state.set(keys.get(keyNid) as StateKey, ids.get(eventNid) as string);
    return state;
  }
}
