/**
 * Tables of the room event graph and its state. Event IDs and (type, state_key) pairs are interned to
 * integers ("nids") and every large table uses the integers.
 */
import type { Generated } from "kysely";

export interface RoomsTable {
  room_nid: Generated<number>;
  room_id: string;
  room_version: string;
  created_ts: number;
  /** Local room directory: "public" or "private". */
  visibility: string;
  /** True while a join has only part of the room state (federation). */
  partial_state: number;
}

export interface EventIdsTable {
  event_nid: Generated<number>;
  event_id: string;
}

export interface StateKeysTable {
  state_key_nid: Generated<number>;
  event_type: string;
  state_key: string;
}

export interface EventsTable {
  event_nid: number;
  room_nid: number;
  /** Position in the global room-event stream; null for outliers (events without known state). */
  stream_ordering: number | null;
  /** Depth from the PDU: with stream_ordering, the topological order /messages walks. */
  depth: number;
  type: string;
  state_key_nid: number | null;
  sender: string;
  origin_server_ts: number;
  received_ts: number;
  /** The PDU as canonical JSON, without `unsigned`. */
  json: string;
  outlier: number;
  rejected_reason: string | null;
  soft_failed: number;
  /** Snapshot of the room state after this event (null for outliers and rejected events). */
  state_snapshot_nid: number | null;
  /** For a state event: the event it replaced in the state (unsigned.prev_content, replaces_state). */
  prev_state_event_nid: number | null;
  /** The redaction event that redacted this one, once it is valid. */
  redacted_by_nid: number | null;
  /** m.relates_to of the event, for relations, threads and bundled aggregations. */
  relates_to_id: string | null;
  rel_type: string | null;
  /** The thread this event belongs to (its root's ID), or null for the main timeline. */
  thread_id: string | null;
}

export interface EventEdgesTable {
  event_nid: number;
  prev_event_nid: number;
}

export interface EventAuthEdgesTable {
  event_nid: number;
  auth_event_nid: number;
}

export interface ForwardExtremitiesTable {
  room_nid: number;
  event_nid: number;
}

export interface BackwardExtremitiesTable {
  room_nid: number;
  event_nid: number;
}

/**
 * State snapshots: a delta against a parent snapshot. `seq` counts snapshots along the line of
 * ancestry; the parent is the ancestor at `seq & (seq - 1)` (a Fenwick tree over the line), so every
 * chain is at most log2(seq) + 1 long and each change is stored in O(log n) deltas.
 */
export interface StateSnapshotsTable {
  snapshot_nid: Generated<number>;
  room_nid: number;
  parent_nid: number | null;
  seq: number;
}

export interface RedactionsTable {
  redaction_nid: number;
  redacts_event_id: string;
  room_nid: number;
}

/** One entry of a snapshot delta. event_nid null removes the key inherited from the parent. */
export interface StateSnapshotEntriesTable {
  snapshot_nid: number;
  state_key_nid: number;
  event_nid: number | null;
}

export interface CurrentStateTable {
  room_nid: number;
  state_key_nid: number;
  event_nid: number;
}

/** The current membership of every user in every room, denormalised from current_state for fast lookups. */
export interface RoomMembershipsTable {
  room_nid: number;
  user_id: string;
  membership: string;
  event_nid: number;
  stream_ordering: number;
  sender: string;
  /** Whether the user is on this server (they sync; remote members only matter for federation). */
  is_local: number;
  forgotten: number;
}

/** Changes to current state by stream position, for incremental sync and for state-change listeners. */
export interface StateDeltasTable {
  stream_ordering: number;
  room_nid: number;
  state_key_nid: number;
  event_nid: number | null;
  prev_event_nid: number | null;
}

/** Transaction IDs are scoped to the device and the room (as Synapse scopes them). */
export interface EventTxnIdsTable {
  room_nid: number;
  user_id: string;
  device_id: string;
  txn_id: string;
  event_nid: number;
  created_ts: number;
}

export interface RoomAliasesTable {
  alias: string;
  room_id: string;
  creator: string;
  created_ts: number;
}

export interface EventReportsTable {
  id: Generated<number>;
  room_id: string;
  event_id: string | null;
  reporter: string;
  reported_user: string | null;
  reason: string | null;
  score: number | null;
  received_ts: number;
}

export interface EventsTables {
  rooms: RoomsTable;
  event_ids: EventIdsTable;
  state_keys: StateKeysTable;
  events: EventsTable;
  event_edges: EventEdgesTable;
  event_auth_edges: EventAuthEdgesTable;
  forward_extremities: ForwardExtremitiesTable;
  backward_extremities: BackwardExtremitiesTable;
  state_snapshots: StateSnapshotsTable;
  redactions: RedactionsTable;
  state_snapshot_entries: StateSnapshotEntriesTable;
  current_state: CurrentStateTable;
  room_memberships: RoomMembershipsTable;
  state_deltas: StateDeltasTable;
  event_txn_ids: EventTxnIdsTable;
  room_aliases: RoomAliasesTable;
  event_reports: EventReportsTable;
}
