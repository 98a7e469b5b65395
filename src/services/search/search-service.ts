/**
 * Server-side search over room events (client-server API "Server Side Search"): full-text matches in
 * the rooms the user is in or has left (not forgotten), kept only where history visibility lets the
 * user see the event (so nothing after they left) and the request's filter passes, ordered by rank or
 * recency, grouped by room or sender, paginated with `next_batch` (also within a group), with
 * highlights, an approximate count, optional event context and current room state.
 */
import { MatrixError } from "../../errors.js";
import { SEARCH_KEYS, searchableText } from "../../protocol/search-keys.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { SearchCriteria, SearchHit, SearchOrder, SearchPosition, SearchStore } from "../../storage/search-store.js";
import { parseSearchTerm, searchWords, type SearchQuery } from "../../storage/search-text.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { RoomReads } from "../rooms/room-reads.js";
import type { VisibilityService } from "../rooms/visibility.js";
import { eventMatchesFilter, parseSyncFilter, type RoomEventFilter } from "../sync/filter.js";
import type { SearchContextBuilder } from "./search-context.js";
import type { SearchIndexer } from "./search-indexer.js";
import { decodeSearchToken, encodeSearchToken, type GroupKey, type GroupValue, type RoomEventsCriteria, type RoomEventsResult, type SearchToken } from "./search-types.js";

const DEFAULT_PAGE = 10;
const MAX_PAGE = 100;
const DEFAULT_CONTEXT = 5;
const MAX_CONTEXT = 50;
/** Rounds of fetching when visibility and the filter drop candidates (as /messages does). */
const MAX_ROUNDS = 5;

interface Picked {
  hit: SearchHit;
  event: StoredEvent;
}

export class SearchService {
  constructor(
    private readonly store: SearchStore,
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly visibility: VisibilityService,
    private readonly formatter: EventFormatter,
    private readonly roomReads: RoomReads,
    private readonly contexts: SearchContextBuilder,
    /** Writes the index rows still waiting before each search (SQLite; see search-indexer.ts). */
    private readonly indexer?: SearchIndexer,
  ) {}

  /** Searches the `room_events` category for a user. */
  async searchRoomEvents(viewer: Viewer, criteria: RoomEventsCriteria, nextBatch?: string): Promise<RoomEventsResult> {
    await this.indexer?.flush();
    const order: SearchOrder = criteria.order_by ?? "rank";
    const token = nextBatch !== undefined ? decodeSearchToken(nextBatch) : undefined;
    if (token && token.order !== order) throw new MatrixError(400, "M_INVALID_PARAM", "next_batch belongs to a search with another order_by");
    const filter = parseFilter(criteria.filter);
    const pageSize = Math.min(Math.max(filter?.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const groupKeys = new Set((criteria.groupings?.group_by ?? []).map((g) => g.key));
    const query = parseSearchTerm(criteria.search_term);

    // Rooms the user is or was in; a left room is searched only up to the leave (nor counted beyond
    // it), and history visibility applies to every match on top.
    const memberships = new Map<number, { roomId: string; membership: string }>();
    const roomEnds = new Map<number, number>();
    for (const m of await this.rooms.membershipsOf(viewer.userId)) {
      if (m.forgotten || !["join", "leave", "ban"].includes(m.membership)) continue;
      if (filter?.rooms !== undefined && !filter.rooms.includes(m.roomId)) continue;
      if (filter?.not_rooms?.includes(m.roomId)) continue;
      if (token?.roomId !== undefined && token.roomId !== m.roomId) continue;
      memberships.set(m.roomNid, { roomId: m.roomId, membership: m.membership });
      if (m.membership !== "join") roomEnds.set(m.roomNid, m.streamOrdering);
    }
    const search: SearchCriteria = {
      roomNids: [...memberships.keys()],
      roomEnds,
      query,
      keys: criteria.keys ?? SEARCH_KEYS,
      ...(token?.sender !== undefined ? { sender: token.sender } : {}),
    };
    const { picked, more, position } = await this.collect(viewer, search, memberships, order, pageSize, filter, token?.position);

    const formatted = await this.formatter.format(picked.map((p) => p.event), { viewer });
    const result: RoomEventsResult = {
      count: await this.store.count(search),
      highlights: highlights(query, picked),
      results: formatted.map((event, i) => ({ rank: (picked[i] as Picked).hit.rank, result: event })),
    };
    const scope: Omit<SearchToken, "position"> = {
      order,
      ...(token?.roomId !== undefined ? { roomId: token.roomId } : {}),
      ...(token?.sender !== undefined ? { sender: token.sender } : {}),
    };
    if (more && position) result.next_batch = encodeSearchToken({ ...scope, position });

    const context = criteria.event_context;
    if (context) {
      const request = {
        before: Math.min(context.before_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
        after: Math.min(context.after_limit ?? DEFAULT_CONTEXT, MAX_CONTEXT),
        includeProfile: context.include_profile ?? false,
      };
      for (const [i, p] of picked.entries()) {
        const membership = memberships.get(p.event.roomNid)?.membership;
        (result.results[i] as RoomEventsResult["results"][number]).context = await this.contexts.contextOf(viewer, p.event, membership, request);
      }
    }
    if (criteria.include_state) {
      result.state = {};
      for (const roomId of new Set(formatted.map((e) => e.room_id as string))) result.state[roomId] = await this.roomReads.getState(roomId, viewer);
    }
    if (groupKeys.size > 0) result.groups = groups(groupKeys, formatted, more ? position : undefined, scope);
    return result;
  }

  /**
   * Walks the matches in order from `after`, keeping those the user may see and the filter passes,
   * until the page is full or the matches end. `position` is that of the last match looked at;
   * `more` says whether matches may remain after it.
   */
  private async collect(
    viewer: Viewer,
    search: SearchCriteria,
    memberships: ReadonlyMap<number, { roomId: string; membership: string }>,
    order: SearchOrder,
    pageSize: number,
    filter: RoomEventFilter | undefined,
    after: SearchPosition | undefined,
  ): Promise<{ picked: Picked[]; more: boolean; position: SearchPosition | undefined }> {
    const batchSize = Math.max(pageSize * 2, 20);
    const picked: Picked[] = [];
    let position = after;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const hits = await this.store.search(search, order, batchSize, position);
      const stored = await this.events.getByNids(hits.map((h) => h.eventNid));
      const visible = await this.visibleNids(viewer, hits, stored, memberships);
      for (const [i, hit] of hits.entries()) {
        position = order === "rank" ? { rank: hit.rank, stream: hit.streamOrdering } : { stream: hit.streamOrdering };
        const event = stored.get(hit.eventNid);
        const roomId = memberships.get(hit.roomNid)?.roomId;
        if (event && visible.has(hit.eventNid) && eventMatchesFilter(filter, { type: event.pdu.type, sender: event.pdu.sender, content: event.pdu.content, ...(roomId ? { room_id: roomId } : {}) })) {
          picked.push({ hit, event });
        }
        if (picked.length >= pageSize) return { picked, more: i < hits.length - 1 || hits.length === batchSize, position };
      }
      if (hits.length < batchSize) return { picked, more: false, position };
    }
    return { picked, more: true, position };
  }

  /** The matches the user may see under each room's history visibility. */
  private async visibleNids(
    viewer: Viewer,
    hits: readonly SearchHit[],
    stored: ReadonlyMap<number, StoredEvent>,
    memberships: ReadonlyMap<number, { roomId: string; membership: string }>,
  ): Promise<Set<number>> {
    const byRoom = new Map<number, StoredEvent[]>();
    for (const hit of hits) {
      const event = stored.get(hit.eventNid);
      if (!event) continue;
      const list = byRoom.get(hit.roomNid) ?? [];
      list.push(event);
      byRoom.set(hit.roomNid, list);
    }
    const out = new Set<number>();
    for (const [roomNid, list] of byRoom) {
      for (const e of await this.visibility.filter(viewer.userId, list, memberships.get(roomNid)?.membership)) out.add(e.nid);
    }
    return out;
  }
}

/** The request's room event filter, validated as any filter is. */
function parseFilter(raw: Record<string, unknown> | undefined): RoomEventFilter | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseSyncFilter({ room: { timeline: raw } }).room?.timeline;
  } catch (error) {
    if (error instanceof MatrixError) throw new MatrixError(400, error.errcode, error.message.replace(/^room\.timeline/, "filter"));
    throw error;
  }
}

/** The query's words and the words of the results they matched as prefixes (what clients highlight). */
function highlights(query: SearchQuery, picked: readonly Picked[]): string[] {
  const out = new Set(query.words);
  for (const { event } of picked) {
    const found = searchableText(event.pdu.type, event.pdu.content);
    if (!found) continue;
    for (const word of searchWords(found.text)) if (query.words.some((q) => word.startsWith(q))) out.add(word);
  }
  return [...out];
}

/** Groups by room and/or sender in result order; each group pages on within itself. */
function groups(
  keys: ReadonlySet<GroupKey>,
  results: readonly ClientEvent[],
  position: SearchPosition | undefined,
  scope: Omit<SearchToken, "position">,
): Partial<Record<GroupKey, Record<string, GroupValue>>> {
  const out: Partial<Record<GroupKey, Record<string, GroupValue>>> = {};
  for (const key of keys) {
    const byValue: Record<string, GroupValue> = {};
    let order = 0;
    for (const event of results) {
      const value = key === "room_id" ? (event.room_id as string) : event.sender;
      const group = (byValue[value] ??= { results: [], order: ++order });
      group.results.push(event.event_id);
    }
    if (position) {
      for (const [value, group] of Object.entries(byValue)) {
        group.next_batch = encodeSearchToken({ ...scope, position, ...(key === "room_id" ? { roomId: value } : { sender: value }) });
      }
    }
    out[key] = byValue;
  }
  return out;
}
