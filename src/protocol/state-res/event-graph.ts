/**
 * The auth DAG as one resolution sees it: events by ID, their auth events, and the per-event facts
 * the algorithm asks for again and again (sender power level, auth events by state key), memoised
 * for the lifetime of one `resolveState` call. Nothing here outlives the call, so a caller's source
 * may change between calls.
 */
import type { AuthState } from "../auth/auth-state.js";
import { compareCodePoints } from "../canonical-json.js";
import { stateKey, type RoomEvent, type StateKey } from "../event.js";
import { userPowerLevel } from "../power-levels.js";
import type { RoomVersion } from "../room-versions.js";
import type { EventSource, StateResOptions } from "./types.js";

const CREATE = "m.room.create";
export const POWER_LEVELS_KEY = stateKey("m.room.power_levels", "");

export class EventGraph {
  private readonly authIds = new WeakMap<RoomEvent, readonly string[]>();
  private readonly authByKey = new Map<string, ReadonlyMap<StateKey, RoomEvent>>();
  private readonly usableAuthByKey = new Map<string, ReadonlyMap<StateKey, RoomEvent>>();
  private readonly senderLevels = new Map<string, number>();
  private readonly chains = new Map<string, ReadonlySet<string>>();

  constructor(
    readonly version: RoomVersion,
    private readonly source: EventSource,
    private readonly options: StateResOptions = {},
  ) {}

  /** Whether the caller supplied auth chains (then auth differences use them instead of walking). */
  get hasAuthChainIndex(): boolean {
    return this.options.authChain !== undefined;
  }

  /** Not memoised: the source is the caller's index (typically a map), and a copy would double it. */
  get(eventId: string): RoomEvent | undefined {
    return this.source.get(eventId);
  }

  isRejected(eventId: string): boolean {
    return this.options.isRejected?.(eventId) ?? false;
  }

  /**
   * The IDs of an event's auth events. Room version 12 leaves the create event out of `auth_events`
   * (its ID is the room ID with `$` for `!`); we put it back, as Synapse's v12 event format does,
   * so the create event is part of every auth chain and available to the auth rules.
   */
  authEventIds(event: RoomEvent): readonly string[] {
    if (!this.version.roomIdFromCreateEvent || event.type === CREATE || !event.room_id.startsWith("!")) {
      return event.auth_events;
    }
    let ids = this.authIds.get(event);
    if (ids === undefined) {
      const createId = `$${event.room_id.slice(1)}`;
      ids = event.auth_events.includes(createId) ? event.auth_events : [...event.auth_events, createId];
      this.authIds.set(event, ids);
    }
    return ids;
  }

  /** The spec's auth chain (the event itself excluded); from the caller's index, else walked. */
  authChain(eventId: string): ReadonlySet<string> {
    let chain = this.chains.get(eventId);
    if (chain === undefined) {
      chain = this.options.authChain ? this.options.authChain(eventId) : this.walkAncestors([eventId]);
      this.chains.set(eventId, chain);
    }
    return chain;
  }

  /**
   * Every event reachable through auth events from `starts` (the starts themselves only if another
   * start reaches them), skipping — and not walking past — events in `stopAt`. Events missing from
   * the source are included (their ID is known) but not walked further.
   */
  walkAncestors(starts: Iterable<string>, stopAt?: ReadonlySet<string>): Set<string> {
    const seen = new Set<string>();
    const stack: string[] = [];
    const visitParents = (id: string): void => {
      const event = this.get(id);
      if (!event) return;
      for (const parent of this.authEventIds(event)) {
        if (seen.has(parent) || stopAt?.has(parent)) continue;
        seen.add(parent);
        stack.push(parent);
      }
    };
    for (const id of starts) visitParents(id);
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) visitParents(id);
    return seen;
  }

  /** An event's auth events by state key; with `usable`, rejected auth events are left out. */
  authEventsByKey(event: RoomEvent, usable: boolean): ReadonlyMap<StateKey, RoomEvent> {
    const memo = usable ? this.usableAuthByKey : this.authByKey;
    let map = memo.get(event.event_id);
    if (map === undefined) {
      const built = new Map<StateKey, RoomEvent>();
      for (const id of this.authEventIds(event)) {
        const authEvent = this.get(id);
        if (!authEvent || authEvent.state_key === undefined) continue;
        if (usable && this.isRejected(id)) continue;
        built.set(stateKey(authEvent.type, authEvent.state_key), authEvent);
      }
      map = built;
      memo.set(event.event_id, map);
    }
    return map;
  }

  /** The `m.room.power_levels` event among an event's auth events (the first one, as Synapse). */
  powerLevelsAuthEventId(event: RoomEvent): string | undefined {
    for (const id of this.authEventIds(event)) {
      const authEvent = this.get(id);
      if (authEvent && authEvent.type === "m.room.power_levels" && authEvent.state_key === "") return id;
    }
    return undefined;
  }

  /**
   * The power level of an event's sender "when looking at their respective auth_events" (the
   * reverse topological power ordering): the auth rules' notion of a user's level, over the state
   * formed by the event's auth events (v12 creators: Infinity).
   */
  senderPowerLevel(event: RoomEvent): number {
    let level = this.senderLevels.get(event.event_id);
    if (level === undefined) {
      const byKey = this.authEventsByKey(event, false);
      const authState: AuthState = (type, key) => byKey.get(stateKey(type, key));
      level = userPowerLevel(this.version, event.sender, authState);
      this.senderLevels.set(event.event_id, level);
    }
    return level;
  }
}

/** The tiebreak shared by both orderings: `origin_server_ts`, then event ID by code point. */
export function compareTimestampThenId(a: RoomEvent, b: RoomEvent): number {
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts < b.origin_server_ts ? -1 : 1;
  return compareCodePoints(a.event_id, b.event_id);
}
