/**
 * GET /rooms/{roomId}/hierarchy (client-server API "Spaces"): a depth-first walk of the space tree
 * along `m.space.child` events, returning the rooms the user may see with their summaries and, for
 * spaces, their (stripped) child events.
 *
 * Pagination is stateless: the token records the request's parameters and how many rooms were already
 * returned, and the next page repeats the walk and skips those. Any process can serve any page, and a
 * walk is capped by MAX_WALK so a huge or looping tree cannot exhaust the server.
 */
import { MatrixError } from "../../errors.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { StoredEvent } from "../../storage/event-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { RoomPreview } from "./room-preview.js";
import { visibleContent, type RoomSummaryFields } from "./summary-fields.js";

export interface HierarchyQuery {
  suggestedOnly: boolean;
  limit?: number;
  maxDepth?: number;
  from?: string;
}

export interface StrippedChild {
  type: string;
  state_key: string;
  content: JsonObject;
  sender: string;
  origin_server_ts: number;
}

export type HierarchyRoom = RoomSummaryFields & { children_state: StrippedChild[] };

/** Rooms per page when the client does not say, and the most it may ask for (Synapse's numbers). */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 50;
/** Rooms visited in one walk at most (including the ones skipped for earlier pages). */
const MAX_WALK = 5000;

interface PageToken {
  room: string;
  suggestedOnly: boolean;
  maxDepth: number | null;
  skip: number;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify([token.room, token.suggestedOnly, token.maxDepth, token.skip])).toString("base64url");
}

function decodeToken(text: string): PageToken {
  const bad = (): MatrixError => new MatrixError(400, "M_INVALID_PARAM", "Unknown pagination token");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw bad();
  const [room, suggestedOnly, maxDepth, skip] = parsed as unknown[];
  if (typeof room !== "string" || typeof suggestedOnly !== "boolean" || !(maxDepth === null || Number.isSafeInteger(maxDepth)) || !Number.isSafeInteger(skip)) throw bad();
  return { room, suggestedOnly, maxDepth: maxDepth as number | null, skip: skip as number };
}

/** `order` counts only when it is a string of at most 50 characters in U+0020–U+007E (spec, m.space.child). */
function validOrder(content: JsonObject): string | undefined {
  const order = content["order"];
  return typeof order === "string" && order.length <= 50 && /^[\x20-\x7e]*$/.test(order) ? order : undefined;
}

/** Children with a valid `order` first (by code point), then by timestamp, then by room ID (spec "Ordering of children"). */
function compareChildren(a: StrippedChild, b: StrippedChild): number {
  const oa = validOrder(a.content);
  const ob = validOrder(b.content);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return a.state_key < b.state_key ? -1 : a.state_key > b.state_key ? 1 : 0;
}

/** A child link is live while its `via` is a non-empty list of strings (removed children have none). */
function hasValidVia(content: JsonObject): boolean {
  const via = content["via"];
  return Array.isArray(via) && via.length > 0 && via.every((v) => typeof v === "string");
}

export class SpaceHierarchyService {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly preview: RoomPreview,
  ) {}

  /** One page of the space tree under `roomId` as `userId` may see it. */
  async hierarchy(userId: string, roomId: string, query: HierarchyQuery): Promise<{ rooms: HierarchyRoom[]; next_batch?: string }> {
    const maxDepth = query.maxDepth ?? null;
    let skip = 0;
    if (query.from !== undefined) {
      const token = decodeToken(query.from);
      if (token.room !== roomId) throw new MatrixError(400, "M_INVALID_PARAM", "Unknown pagination token");
      if (token.suggestedOnly !== query.suggestedOnly || token.maxDepth !== maxDepth) {
        throw new MatrixError(400, "M_INVALID_PARAM", "suggested_only and max_depth cannot change on paginated requests");
      }
      skip = token.skip;
    }
    const root = await this.cache.find(roomId);
    if (!root || !(await this.preview.mayPreview(root, userId, { refuseBanned: true }))) {
      throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");
    }
    const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT);

    const rooms: HierarchyRoom[] = [];
    const processed = new Set<string>();
    // The next room is last on the stack; children go on in reverse so the first child comes next.
    const stack: { roomId: string; depth: number }[] = [{ roomId, depth: 0 }];
    let returned = 0;
    while (stack.length > 0 && rooms.length < limit && processed.size < MAX_WALK) {
      const entry = stack.pop() as { roomId: string; depth: number };
      if (processed.has(entry.roomId)) continue;
      processed.add(entry.roomId);
      // Rooms this server is not in would be asked for over federation, which is not there yet.
      const head = entry.roomId === roomId ? root : await this.cache.find(entry.roomId);
      if (!head || !(await this.preview.mayPreview(head, userId, { refuseBanned: true }))) continue;
      const summary = await this.preview.summary(head);
      const children = summary.room_type === "m.space" ? await this.children(head, query.suggestedOnly) : [];
      if (returned >= skip) rooms.push({ ...summary, children_state: children });
      returned++;
      if (maxDepth === null || entry.depth < maxDepth) {
        for (let i = children.length - 1; i >= 0; i--) stack.push({ roomId: (children[i] as StrippedChild).state_key, depth: entry.depth + 1 });
      }
    }
    const page: { rooms: HierarchyRoom[]; next_batch?: string } = { rooms };
    // Rooms already walked may still be on the stack (a room listed by two spaces); they make no page.
    if (stack.some((entry) => !processed.has(entry.roomId)) && processed.size < MAX_WALK) {
      page.next_batch = encodeToken({ room: roomId, suggestedOnly: query.suggestedOnly, maxDepth, skip: returned });
    }
    return page;
  }

  /** The live `m.space.child` events of a space, ordered, as stripped events with their timestamp. */
  private async children(head: RoomHead, suggestedOnly: boolean): Promise<StrippedChild[]> {
    const events: StoredEvent[] = await this.reader.stateEvents(head, new Set(["m.space.child"]));
    const out: StrippedChild[] = [];
    for (const stored of events) {
      const content = visibleContent(stored, head.version);
      if (!hasValidVia(content)) continue;
      if (suggestedOnly && content["suggested"] !== true) continue;
      const stateKey = stored.pdu.state_key;
      if (typeof stateKey !== "string") continue;
      out.push({ type: "m.space.child", state_key: stateKey, content: isJsonObject(content) ? content : {}, sender: stored.pdu.sender, origin_server_ts: Number(stored.pdu.origin_server_ts) });
    }
    return out.sort(compareChildren);
  }
}
