/**
 * The current state of rooms as the persister and readers see it: a per-room cache of the state map
 * (type/state_key -> event ID), the forward extremities, the depth and the snapshot of the current
 * state. Only the room's writer changes it (after its transaction commits), so the cache is exact in
 * the writing process; other processes reload a room when the notifier says it changed.
 */
import { LRUCache } from "lru-cache";
import { MatrixError } from "../../errors.js";
import { splitStateKey, stateKey, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomRecord, RoomStore } from "../../storage/room-store.js";
import type { SnapshotRef, StateStore } from "../../storage/state-store.js";

export interface RoomHead {
  readonly room: RoomRecord;
  readonly version: RoomVersion;
  /** type/state_key -> event ID. */
  readonly state: ReadonlyMap<StateKey, string>;
  readonly extremities: readonly string[];
  readonly depth: number;
  /** A snapshot holding exactly `state` (null before the create event). */
  readonly snapshot: SnapshotRef | null;
}

export class CurrentStateCache {
  private readonly heads = new LRUCache<string, RoomHead>({ maxSize: 500_000, sizeCalculation: (h) => h.state.size + 1 });

  constructor(
    private readonly rooms: RoomStore,
    private readonly events: EventStore,
    private readonly states: StateStore,
  ) {}

  /** The room's head, or 404 M_NOT_FOUND for a room this server does not know. */
  async head(roomId: string): Promise<RoomHead> {
    const head = await this.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    return head;
  }

  async find(roomId: string): Promise<RoomHead | undefined> {
    const cached = this.heads.get(roomId);
    if (cached) return cached;
    const room = await this.rooms.get(roomId);
    if (!room) return undefined;
    const head = await this.load(room);
    this.heads.set(roomId, head);
    return head;
  }

  private async load(room: RoomRecord): Promise<RoomHead> {
    const version = findRoomVersion(room.roomVersion);
    if (!version) throw new MatrixError(500, "M_UNKNOWN", `room ${room.roomId} has an unsupported version`);
    const nidState = await this.states.getCurrentState(room.roomNid);
    const keys = await this.states.stateKeysOf([...nidState.keys()]);
    const ids = await this.events.eventIdsOf([...nidState.values()]);
    const state = new Map<StateKey, string>();
    for (const [keyNid, eventNid] of nidState) state.set(keys.get(keyNid) as StateKey, ids.get(eventNid) as string);
    const extremityNids = await this.events.getForwardExtremities(room.roomNid);
    const extremityEvents = await this.events.getByNids(extremityNids);
    let depth = 0;
    let snapshot: SnapshotRef | null = null;
    for (const event of extremityEvents.values()) {
      depth = Math.max(depth, event.depth);
      // With one extremity its snapshot is the current state; with several, the next event resolves them.
      if (extremityEvents.size === 1 && event.stateSnapshotNid !== null) snapshot = await this.states.snapshotRef(event.stateSnapshotNid);
    }
    return { room, version, state, extremities: [...extremityEvents.values()].map((e) => e.eventId), depth, snapshot };
  }

  /** Replaces a room's head after its writer committed. */
  set(head: RoomHead): void {
    this.heads.set(head.room.roomId, head);
  }

  /** Forgets a room's head (another process changed it; the next read reloads). */
  invalidate(roomId: string): void {
    this.heads.delete(roomId);
  }
}

/** The event ID at (type, state_key) in a head's state. */
export function stateEventId(head: RoomHead, type: string, key = ""): string | undefined {
  return head.state.get(stateKey(type, key));
}

/** Users with a given membership according to a state map (keys of m.room.member). */
export function memberKeys(state: ReadonlyMap<StateKey, string>): string[] {
  const out: string[] = [];
  for (const key of state.keys()) {
    const [type, userId] = splitStateKey(key);
    if (type === "m.room.member") out.push(userId);
  }
  return out;
}

/**
 * The head after appending an event that points at (some of) the current extremities: its state
 * applied, it replaces its prev_events as an extremity. The snapshot is the caller's to set.
 */
export function advanceHead(head: RoomHead, event: RoomEvent, depth: number): RoomHead {
  let state = head.state;
  if (typeof event.state_key === "string") {
    const next = new Map(head.state);
    next.set(stateKey(event.type, event.state_key), event.event_id);
    state = next;
  }
  return {
    room: head.room,
    version: head.version,
    state,
    extremities: [...head.extremities.filter((id) => !event.prev_events.includes(id)), event.event_id],
    depth: Math.max(head.depth, depth),
    snapshot: null,
  };
}
