/**
 * Event filters (client-server API "Filtering"): the room event filter's types/senders/rooms/
 * contains_url/related_by conditions with `*` wildcards, lazy-loading options and limits, and the
 * whole sync filter. Parsed from JSON the client gave (inline or stored), tolerant of unknown keys.
 */
import { MatrixError } from "../../errors.js";

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface RoomEventFilter extends EventFilter {
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
  lazy_load_members?: boolean;
  include_redundant_members?: boolean;
  unread_thread_notifications?: boolean;
  related_by_senders?: string[];
  related_by_rel_types?: string[];
}

export interface SyncFilter {
  event_fields?: string[];
  event_format?: "client" | "federation";
  presence?: EventFilter;
  account_data?: EventFilter;
  room?: {
    rooms?: string[];
    not_rooms?: string[];
    include_leave?: boolean;
    timeline?: RoomEventFilter;
    state?: RoomEventFilter;
    ephemeral?: RoomEventFilter;
    account_data?: RoomEventFilter;
  };
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new MatrixError(400, "M_BAD_JSON", `${field} must be a list of strings`);
  return value as string[];
}

function parseEventFilter(raw: unknown, field: string): RoomEventFilter | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new MatrixError(400, "M_BAD_JSON", `${field} must be an object`);
  const r = raw as Record<string, unknown>;
  const out: RoomEventFilter = {};
  if (r["limit"] !== undefined) {
    if (typeof r["limit"] !== "number" || !Number.isInteger(r["limit"]) || r["limit"] < 0) throw new MatrixError(400, "M_BAD_JSON", `${field}.limit must be a non-negative integer`);
    out.limit = r["limit"];
  }
  for (const key of ["types", "not_types", "senders", "not_senders", "rooms", "not_rooms", "related_by_senders", "related_by_rel_types"] as const) {
    const list = stringList(r[key], `${field}.${key}`);
    if (list) out[key] = list;
  }
  for (const key of ["contains_url", "lazy_load_members", "include_redundant_members", "unread_thread_notifications"] as const) {
    if (r[key] !== undefined) {
      if (typeof r[key] !== "boolean") throw new MatrixError(400, "M_BAD_JSON", `${field}.${key} must be a boolean`);
      out[key] = r[key] as boolean;
    }
  }
  return out;
}

/** Validates a filter the client uploads or passes inline. */
export function parseSyncFilter(raw: unknown): SyncFilter {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new MatrixError(400, "M_BAD_JSON", "filter must be an object");
  const r = raw as Record<string, unknown>;
  const out: SyncFilter = {};
  const fields = stringList(r["event_fields"], "event_fields");
  if (fields) out.event_fields = fields;
  if (r["event_format"] !== undefined) {
    if (r["event_format"] !== "client" && r["event_format"] !== "federation") throw new MatrixError(400, "M_BAD_JSON", "event_format must be client or federation");
    out.event_format = r["event_format"];
  }
  const presence = parseEventFilter(r["presence"], "presence");
  if (presence) out.presence = presence;
  const accountData = parseEventFilter(r["account_data"], "account_data");
  if (accountData) out.account_data = accountData;
  if (r["room"] !== undefined && r["room"] !== null) {
    if (typeof r["room"] !== "object" || Array.isArray(r["room"])) throw new MatrixError(400, "M_BAD_JSON", "room must be an object");
    const room = r["room"] as Record<string, unknown>;
    out.room = {};
    const rooms = stringList(room["rooms"], "room.rooms");
    if (rooms) out.room.rooms = rooms;
    const notRooms = stringList(room["not_rooms"], "room.not_rooms");
    if (notRooms) out.room.not_rooms = notRooms;
    if (room["include_leave"] !== undefined) {
      if (typeof room["include_leave"] !== "boolean") throw new MatrixError(400, "M_BAD_JSON", "room.include_leave must be a boolean");
      out.room.include_leave = room["include_leave"];
    }
    for (const key of ["timeline", "state", "ephemeral", "account_data"] as const) {
      const f = parseEventFilter(room[key], `room.${key}`);
      if (f) out.room[key] = f;
    }
  }
  return out;
}

/** `*` matches any run of characters, as the spec's filter wildcards. */
function matchesPattern(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return regex.test(value);
}

function matchesAny(patterns: readonly string[] | undefined, value: string): boolean {
  return patterns !== undefined && patterns.some((p) => matchesPattern(p, value));
}

/** Whether an event passes a filter's type, sender, room and URL conditions. */
export function eventMatchesFilter(
  filter: RoomEventFilter | undefined,
  event: { type: string; sender: string; room_id?: string; content?: Record<string, unknown> },
): boolean {
  if (!filter) return true;
  if (matchesAny(filter.not_types, event.type)) return false;
  if (filter.types !== undefined && !matchesAny(filter.types, event.type)) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  if (filter.senders !== undefined && !filter.senders.includes(event.sender)) return false;
  if (event.room_id !== undefined) {
    if (filter.not_rooms?.includes(event.room_id)) return false;
    if (filter.rooms !== undefined && !filter.rooms.includes(event.room_id)) return false;
  }
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content?.["url"] === "string";
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

export function roomMatchesFilter(filter: SyncFilter["room"], roomId: string): boolean {
  if (!filter) return true;
  if (filter.not_rooms?.includes(roomId)) return false;
  return filter.rooms === undefined || filter.rooms.includes(roomId);
}

/** Keeps only the listed dotted fields of a client event (`event_fields`). */
export function projectFields<T extends Record<string, unknown>>(event: T, fields: readonly string[] | undefined): T {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = field.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, "."));
    let source: unknown = event;
    for (const part of path) source = source && typeof source === "object" ? (source as Record<string, unknown>)[part] : undefined;
    if (source === undefined) continue;
    let target = out;
    for (const part of path.slice(0, -1)) {
      target[part] ??= {};
      target = target[part] as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = source;
  }
  return out as T;
}
