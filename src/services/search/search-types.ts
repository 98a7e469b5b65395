/**
 * POST /search (client-server API "Server Side Search"): the `room_events` criteria the service
 * takes, the result it returns, and the `next_batch` token. A token is opaque to clients: base64url of
 * a small JSON object with the order it belongs to, the last result's position (rank and stream
 * position, or stream position alone) and the group it is scoped to when it came from a group.
 */
import { MatrixError } from "../../errors.js";
import type { SearchKey } from "../../protocol/search-keys.js";
import type { SearchOrder, SearchPosition } from "../../storage/search-store.js";
import type { ClientEvent } from "../rooms/event-formatter.js";

export type GroupKey = "room_id" | "sender";

export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[] | undefined;
  /** A room event filter, as the client sent it. */
  filter?: Record<string, unknown> | undefined;
  order_by?: SearchOrder | undefined;
  event_context?: { before_limit?: number | undefined; after_limit?: number | undefined; include_profile?: boolean | undefined } | undefined;
  include_state?: boolean | undefined;
  groupings?: { group_by?: { key: GroupKey }[] | undefined } | undefined;
}

export interface SearchResultContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
}

export interface GroupValue {
  results: string[];
  order: number;
  next_batch?: string;
}

export interface RoomEventsResult {
  count: number;
  highlights: string[];
  results: { rank: number; result: ClientEvent; context?: SearchResultContext }[];
  state?: Record<string, ClientEvent[]>;
  groups?: Partial<Record<GroupKey, Record<string, GroupValue>>>;
  next_batch?: string;
}

export interface SearchToken {
  order: SearchOrder;
  position: SearchPosition;
  /** Scope of a token from a group: only this room and/or this sender. */
  roomId?: string;
  sender?: string;
}

const invalidToken = (): MatrixError => new MatrixError(400, "M_INVALID_PARAM", "Invalid next_batch token");

export function encodeSearchToken(token: SearchToken): string {
  const position = token.position;
  const body: Record<string, unknown> = { o: token.order, s: position.stream };
  if ("rank" in position) body["r"] = position.rank;
  if (token.roomId !== undefined) body["room"] = token.roomId;
  if (token.sender !== undefined) body["sender"] = token.sender;
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

export function decodeSearchToken(raw: string): SearchToken {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(raw)) throw invalidToken();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw invalidToken();
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidToken();
  const { o, s, r, room, sender } = body as Record<string, unknown>;
  if ((o !== "rank" && o !== "recent") || typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) throw invalidToken();
  if (o === "rank" && (typeof r !== "number" || !Number.isFinite(r))) throw invalidToken();
  if ((room !== undefined && typeof room !== "string") || (sender !== undefined && typeof sender !== "string")) throw invalidToken();
  return {
    order: o,
    position: o === "rank" ? { rank: r as number, stream: s } : { stream: s },
    ...(room !== undefined ? { roomId: room } : {}),
    ...(sender !== undefined ? { sender } : {}),
  };
}
