/**
 * Shared helpers for the state-resolution tests: loading the Ruma fixtures, an in-memory event source,
 * an independent (naive) auth-chain computation, and a "server" that computes the state after each
 * event of a DAG the way a homeserver does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkEventAuth, checkEventAuthWithAuthEvents } from "../../../src/protocol/auth/check-auth.js";
import { splitStateKey, stateKey, type RoomEvent, type StateMap } from "../../../src/protocol/event.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { getRoomVersion, type RoomVersion } from "../../../src/protocol/room-versions.js";
import { resolveState, type EventSource, type StateResOptions } from "../../../src/protocol/state-res/resolve-state.js";

export const VECTORS = "/work/shared/test-vectors/state-res";

interface FixturePdu {
  event_id: string;
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth?: number;
  prev_events: string[];
  auth_events: string[];
  redacts?: string;
}

/** A fixture PDU as the normalised RoomEvent (v12 create events get the room ID their ID implies). */
export function toRoomEvent(pdu: FixturePdu): RoomEvent {
  const room_id = pdu.room_id ?? `!${pdu.event_id.slice(1)}`;
  const event: RoomEvent = {
    event_id: pdu.event_id,
    room_id,
    type: pdu.type,
    sender: pdu.sender,
    content: pdu.content,
    origin_server_ts: pdu.origin_server_ts,
    prev_events: pdu.prev_events,
    auth_events: pdu.auth_events,
    ...(pdu.state_key !== undefined ? { state_key: pdu.state_key } : {}),
    ...(pdu.depth !== undefined ? { depth: pdu.depth } : {}),
    ...(pdu.redacts !== undefined ? { redacts: pdu.redacts } : {}),
  };
  return event;
}

export function loadBatch(file: string): RoomEvent[] {
  const pdus = JSON.parse(readFileSync(join(VECTORS, "fixtures", file), "utf8")) as FixturePdu[];
  return pdus.map(toRoomEvent);
}

export function loadIdList(file: string): string[] {
  return JSON.parse(readFileSync(join(VECTORS, "fixtures", file), "utf8")) as string[];
}

export interface ExpectedEntry {
  type: string;
  state_key: string;
  event_id: string;
}

/** The JSON after the `---` header of an insta snapshot. */
export function loadExpected(name: string): ExpectedEntry[] {
  const text = readFileSync(join(VECTORS, "expected", `${name}.json.snap`), "utf8");
  const body = text.slice(text.indexOf("---", 3) + 3);
  return (JSON.parse(body) as ExpectedEntry[]).map(({ type, state_key, event_id }) => ({ type, state_key, event_id }));
}

/** A state map as the snapshot's sorted list (by type, then state key). */
export function describeState(state: StateMap<string>): ExpectedEntry[] {
  return [...state]
    .map(([key, event_id]) => {
      const [type, state_key] = splitStateKey(key);
      return { type, state_key, event_id };
    })
    .sort((a, b) => (a.type !== b.type ? (a.type < b.type ? -1 : 1) : a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0));
}

export class MapSource implements EventSource {
  readonly events = new Map<string, RoomEvent>();
  lookups = 0;

  constructor(events: Iterable<RoomEvent> = []) {
    for (const event of events) this.add(event);
  }

  add(event: RoomEvent): void {
    this.events.set(event.event_id, event);
  }

  get(eventId: string): RoomEvent | undefined {
    this.lookups++;
    return this.events.get(eventId);
  }
}

export function versionOf(events: readonly RoomEvent[]): RoomVersion {
  const create = events.find((event) => event.type === "m.room.create");
  const id = create?.content["room_version"];
  return getRoomVersion(typeof id === "string" ? id : "1");
}

/** Single-entry state map of a state event. */
export function stateOf(...events: RoomEvent[]): StateMap<string> {
  return new Map(events.map((event) => [stateKey(event.type, event.state_key as string), event.event_id]));
}

/**
 * An auth-chain index computed independently of the resolver (plain recursion over auth_events, with
 * room version 12's implicit create event), to check the `authChain` option path gives the same answers.
 */
export function naiveAuthChainIndex(version: RoomVersion, source: MapSource): StateResOptions {
  const memo = new Map<string, Set<string>>();
  const parents = (event: RoomEvent): string[] => {
    const ids = [...event.auth_events];
    if (version.roomIdFromCreateEvent && event.type !== "m.room.create") {
      const create = `$${event.room_id.slice(1)}`;
      if (!ids.includes(create)) ids.push(create);
    }
    return ids;
  };
  const chain = (id: string): Set<string> => {
    let out = memo.get(id);
    if (out) return out;
    out = new Set();
    const event = source.events.get(id);
    for (const parent of event ? parents(event) : []) {
      out.add(parent);
      for (const ancestor of chain(parent)) out.add(ancestor);
    }
    memo.set(id, out);
    return out;
  };
  return { authChain: chain };
}

/**
 * Whether a server accepts the event: the auth rules pass against its own auth events and against the
 * state before it (server-server-api "Checks performed on receipt of a PDU", steps 4 and 5).
 */
export function passesAuth(version: RoomVersion, event: RoomEvent, stateBefore: StateMap<string>, source: MapSource): boolean {
  try {
    const authEvents = event.auth_events.map((id) => source.events.get(id)).filter((e): e is RoomEvent => e !== undefined);
    if (authEvents.length !== event.auth_events.length) return false;
    const create = version.roomIdFromCreateEvent ? source.events.get(`$${event.room_id.slice(1)}`) : undefined;
    checkEventAuthWithAuthEvents(version, event, authEvents, create);
    checkEventAuth(version, event, (type, key) => {
      const id = stateBefore.get(stateKey(type, key));
      return id === undefined ? undefined : source.events.get(id);
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Computes the state after every event of a DAG, in a topological order of prev_events, as a server
 * does: the state before an event is the resolution of the states after its prev_events; a state
 * event that the auth rules allow against the state before it replaces its key. Returns the states
 * after each event and the forward extremities.
 */
export function statesAlongDag(
  version: RoomVersion,
  events: readonly RoomEvent[],
  source: MapSource,
  options: StateResOptions = {},
): { after: Map<string, StateMap<string>>; leaves: string[]; rejected: Set<string> } {
  const after = new Map<string, StateMap<string>>();
  const rejected = new Set<string>();
  const withRejections: StateResOptions = { ...options, isRejected: (id) => rejected.has(id) };
  const pending = [...events];
  const referenced = new Set(events.flatMap((event) => event.prev_events));
  while (pending.length > 0) {
    const index = pending.findIndex((event) => event.prev_events.every((id) => after.has(id)));
    if (index < 0) throw new Error("prev_events point outside the DAG");
    const [event] = pending.splice(index, 1) as [RoomEvent];
    const before = resolveState(
      version,
      event.prev_events.map((id) => after.get(id) as StateMap<string>),
      source,
      withRejections,
    );
    const state = new Map(before);
    if (event.state_key !== undefined) {
      if (passesAuth(version, event, before, source)) state.set(stateKey(event.type, event.state_key), event.event_id);
      else rejected.add(event.event_id);
    }
    after.set(event.event_id, state);
  }
  const leaves = events.map((event) => event.event_id).filter((id) => !referenced.has(id));
  return { after, leaves, rejected };
}
