/** The /sync response (client-server API "Syncing") and the extension points other areas fill. */
import type { StreamPositions } from "../../notifier/notifier.js";
import type { MembershipRecord } from "../../storage/room-store.js";
import type { Requester } from "../accounts/requester.js";
import type { ClientEvent } from "../rooms/event-formatter.js";
import type { SyncFilter } from "./filter.js";

export interface Timeline {
  events: ClientEvent[];
  limited: boolean;
  prev_batch?: string;
}

export interface JoinedRoomSync {
  timeline: Timeline;
  state: { events: ClientEvent[] };
  ephemeral: { events: Record<string, unknown>[] };
  account_data: { events: Record<string, unknown>[] };
  unread_notifications: { notification_count?: number; highlight_count?: number };
  unread_thread_notifications?: Record<string, { notification_count?: number; highlight_count?: number }>;
  summary: { "m.heroes"?: string[]; "m.joined_member_count"?: number; "m.invited_member_count"?: number };
}

export interface LeftRoomSync {
  timeline: Timeline;
  state: { events: ClientEvent[] };
  account_data: { events: Record<string, unknown>[] };
}

export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoomSync>;
    invite: Record<string, { invite_state: { events: Record<string, unknown>[] } }>;
    leave: Record<string, LeftRoomSync>;
    knock: Record<string, { knock_state: { events: Record<string, unknown>[] } }>;
  };
  presence: { events: Record<string, unknown>[] };
  account_data: { events: Record<string, unknown>[] };
  to_device: { events: Record<string, unknown>[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

export interface SyncContext {
  readonly requester: Requester;
  /** Positions of the previous token (undefined for an initial sync). */
  readonly since: StreamPositions | undefined;
  /** Positions this response goes up to. */
  readonly now: StreamPositions;
  readonly filter: SyncFilter;
  readonly fullState: boolean;
  /** Rooms the user is joined to now. */
  readonly joinedRoomIds: readonly string[];
  /** Every membership of the user (any kind), as read for this computation; not to be modified. */
  readonly memberships: readonly MembershipRecord[];
  /**
   * Streams a contributor did not deliver in full (to-device messages come at most 100 at a time):
   * the response's token stops at the given position so the next sync goes on from there.
   */
  readonly heldBack: Partial<StreamPositions>;
}

/**
 * Another area's part of a sync response (account data, presence, receipts, typing, to-device, device
 * lists, notification counts). `global` fills top-level sections; `joinedRoom` adds to one room's
 * entry; `roomsWithChanges` names rooms that have something new for this area even without events.
 */
export interface SyncContributor {
  /**
   * Called as a computation starts, before the rooms: reads that depend on nothing the rooms find may
   * start here and overlap them (on PostgreSQL each is a round trip), to be awaited in `global`.
   */
  begin?(context: SyncContext): void;
  global?(context: SyncContext, response: SyncResponse): Promise<void>;
  joinedRoom?(context: SyncContext, roomId: string, room: JoinedRoomSync): Promise<void>;
  roomsWithChanges?(context: SyncContext): Promise<Iterable<string>>;
  /** Called once per /sync request before it is answered (set_presence, device last seen). */
  onSyncRequest?(requester: Requester, setPresence: string | undefined): Promise<void>;
  /** Called once the request that onSyncRequest saw is answered or abandoned (presence: stopped syncing). */
  afterSyncRequest?(requester: Requester, setPresence: string | undefined): Promise<void>;
}

export function emptyResponse(nextBatch: string): SyncResponse {
  return {
    next_batch: nextBatch,
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    presence: { events: [] },
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  };
}

/** Whether an incremental response carries anything (if not, a long-poll keeps waiting). */
export function hasUpdates(response: SyncResponse): boolean {
  const r = response.rooms;
  return (
    Object.keys(r.join).length > 0 ||
    Object.keys(r.invite).length > 0 ||
    Object.keys(r.leave).length > 0 ||
    Object.keys(r.knock).length > 0 ||
    response.presence.events.length > 0 ||
    response.account_data.events.length > 0 ||
    response.to_device.events.length > 0 ||
    response.device_lists.changed.length > 0 ||
    response.device_lists.left.length > 0
  );
}
