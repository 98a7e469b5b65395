/**
 * Event shapes shared by the protocol library.
 *
 * `Pdu` is the wire form of a persistent data unit (data/api/server-server/definitions/pdu_v*.yaml);
 * its shape differs by room version (v1–2 carry `event_id` and hash-paired `prev_events`, v12 create
 * events carry no `room_id`). `RoomEvent` is the normalised view that auth rules and state resolution
 * read: the event ID always present, `prev_events`/`auth_events` as plain ID lists.
 */
import type { JsonObject } from "./json.js";

export interface EventHashes {
  sha256: string;
  [algorithm: string]: string;
}

export type Signatures = Record<string, Record<string, string>>;

/** `[event_id, {sha256: ...}]` references used by room versions 1 and 2. */
export type HashedReference = [string, EventHashes];

export interface Pdu {
  event_id?: string;
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: string[] | HashedReference[];
  auth_events: string[] | HashedReference[];
  redacts?: string;
  hashes: EventHashes;
  signatures: Signatures;
  unsigned?: JsonObject;
  /** Deprecated top-level keys that old events still carry; they are covered by hashes and signatures. */
  origin?: string;
  membership?: string;
  prev_state?: unknown[];
  [key: string]: unknown;
}

export interface RoomEvent {
  readonly event_id: string;
  /** For a v12 create event, the room ID derived from its reference hash. */
  readonly room_id: string;
  readonly type: string;
  readonly state_key?: string;
  readonly sender: string;
  readonly content: JsonObject;
  readonly origin_server_ts: number;
  readonly depth?: number;
  readonly prev_events: readonly string[];
  readonly auth_events: readonly string[];
  /** Top-level `redacts` (v1–10) or `content.redacts` (v11+), whichever the version uses. */
  readonly redacts?: string;
}

/** A state map key: `type` and `state_key` joined by a separator that cannot occur in an event type. */
export type StateKey = string;
export type StateMap<V = string> = Map<StateKey, V>;

export function stateKey(type: string, key: string): StateKey {
  return `${type}\u0000${key}`;
}

export function splitStateKey(key: StateKey): [type: string, stateKey: string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}

export function isStateEvent(event: { state_key?: unknown }): boolean {
  return typeof event.state_key === "string";
}

/**
 * `pdu` without `unsigned` (which no hash or signature covers): as stored, cached and sent to other
 * servers. The object itself when it has none, as an event built here (a copy was a tenth of what
 * persisting a message allocated), so the caller must not change what it gets.
 */
export function withoutUnsigned<T extends object>(pdu: T): Omit<T, "unsigned"> {
  if (!Object.hasOwn(pdu, "unsigned")) return pdu;
  const { unsigned: _unsigned, ...rest } = pdu as T & { unsigned?: unknown };
  return rest;
}
