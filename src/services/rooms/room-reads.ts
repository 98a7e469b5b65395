/**
 * Reading rooms as a client may: single events, the state (current, or as it was when the user left),
 * members, and paginated history (/messages, /context), all through history visibility.
 */
import { MatrixError } from "../../errors.js";
import { splitStateKey, stateKey } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { StateStore } from "../../storage/state-store.js";
import { decodePaginationToken, encodeTopologicalToken } from "../sync/tokens.js";
import { eventMatchesFilter, type RoomEventFilter } from "../sync/filter.js";
import type { CurrentStateCache, RoomHead } from "./current-state.js";
import type { ClientEvent, EventFormatter, Viewer } from "./event-formatter.js";
import type { RoomStateReader } from "./room-state-reader.js";
import { parseHistoryVisibility, type VisibilityService } from "./visibility.js";

const forbidden = (): MatrixError => new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");

export interface MessagesPage {
  start: string;
  end?: string;
  chunk: ClientEvent[];
  state?: ClientEvent[];
}

/**
 * Fills gaps in a room's history (events whose prev events we lack) at depths in (minDepth, maxDepth]
 * from other servers: "none" when there is no gap there (federation/backfiller.ts).
 */
export type Backfill = (roomId: string, maxDepth: number, minDepth: number) => Promise<"none" | "filled" | "unfilled">;

/** Backfills from other servers one /messages request may wait for. */
const MAX_BACKFILLS = 2;

export class RoomReads {
  private backfill: Backfill | undefined;
  private fullStateWait: ((roomId: string) => Promise<void>) | undefined;

  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly rooms: RoomStore,
    private readonly formatter: EventFormatter,
    private readonly visibility: VisibilityService,
  ) {}

  /** Lets /messages fetch older history from other servers where ours has gaps (after a join over federation). */
  setBackfill(backfill: Backfill): void {
    this.backfill = backfill;
  }

  /** Lets /members of a room joined with partial state wait for the omitted members (federation/partial-state.ts). */
  setFullStateWait(wait: (roomId: string) => Promise<void>): void {
    this.fullStateWait = wait;
  }

  /**
   * The state a user may read: the current state while joined (or the room is world-readable), the
   * state when they left otherwise (as Synapse); 403 if they were never in the room.
   */
  async readableState(head: RoomHead, userId: string): Promise<{ state: ReadonlyMap<string, string>; current: boolean }> {
    const membership = await this.reader.membership(head, userId);
    if (membership === "join") return { state: head.state, current: true };
    const visibility = parseHistoryVisibility(await this.reader.content(head, "m.room.history_visibility"));
    if (visibility === "world_readable") return { state: head.state, current: true };
    if (membership === "leave" || membership === "ban") {
      const memberEvent = await this.reader.event(head, "m.room.member", userId);
      if (memberEvent?.stateSnapshotNid !== null && memberEvent?.stateSnapshotNid !== undefined) {
        return { state: await this.snapshotAsIds(memberEvent.stateSnapshotNid), current: false };
      }
    }
    throw forbidden();
  }

  async snapshotAsIds(snapshotNid: number): Promise<Map<string, string>> {
    const nidState = await this.states.loadSnapshot(snapshotNid);
    const keys = await this.states.stateKeysOf([...nidState.keys()]);
    const ids = await this.events.eventIdsOf([...nidState.values()]);
    const out = new Map<string, string>();
    for (const [k, e] of nidState) out.set(keys.get(k) as string, ids.get(e) as string);
    return out;
  }

  async getState(roomId: string, viewer: Viewer): Promise<ClientEvent[]> {
    const head = await this.cache.head(roomId);
    const { state } = await this.readableState(head, viewer.userId);
    const found = await this.events.getByIds([...state.values()]);
    return this.formatter.format([...found.values()], { viewer, bundle: false });
  }

  async getStateEvent(roomId: string, viewer: Viewer, type: string, key: string): Promise<ClientEvent> {
    const head = await this.cache.head(roomId);
    const { state } = await this.readableState(head, viewer.userId);
    const id = state.get(stateKey(type, key));
    const stored = id ? await this.events.getById(id) : undefined;
    if (!stored) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    return this.formatter.formatOne(stored, { viewer, bundle: false });
  }

  async getEvent(roomId: string, eventId: string, viewer: Viewer): Promise<ClientEvent> {
    const head = await this.cache.head(roomId);
    const stored = await this.events.getById(eventId);
    if (!stored || stored.roomNid !== head.room.roomNid || stored.outlier || stored.rejectedReason !== null) {
      throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    }
    const membership = await this.reader.membership(head, viewer.userId);
    const visible = await this.visibility.filter(viewer.userId, [stored], membership);
    if (visible.length === 0) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    return this.formatter.formatOne(stored, { viewer });
  }

  /** GET /members: member events, optionally `at` a pagination token and by membership. */
  async members(roomId: string, viewer: Viewer, options: { at?: string; membership?: string; notMembership?: string }): Promise<ClientEvent[]> {
    let head = await this.cache.head(roomId);
    // A client asks for the member list to show it whole (lazy-loading clients rely on it): while the
    // room's state is partial, wait for the rest, as Synapse does.
    if (head.room.partialState && this.fullStateWait) {
      await this.fullStateWait(roomId);
      head = await this.cache.head(roomId);
    }
    let { state } = await this.readableState(head, viewer.userId);
    if (options.at !== undefined) {
      const token = decodePaginationToken(options.at);
      const point = token.kind === "stream" ? await this.events.topologicalPointAt(head.room.roomNid, token.stream) : token;
      if (point) {
        const [atEvent] = await this.events.roomEventsTopological(head.room.roomNid, { depth: point.depth, stream: point.stream + 1 }, "b", 1);
        if (atEvent?.stateSnapshotNid) state = await this.snapshotAsIds(atEvent.stateSnapshotNid);
      }
    }
    const ids: string[] = [];
    for (const [key, id] of state) if (splitStateKey(key)[0] === "m.room.member") ids.push(id);
    const found = [...(await this.events.getByIds(ids)).values()].filter((e) => {
      const membership = e.pdu.content["membership"];
      if (options.membership !== undefined && membership !== options.membership) return false;
      return !(options.notMembership !== undefined && membership === options.notMembership);
    });
    return this.formatter.format(found, { viewer, bundle: false });
  }

  async joinedMembers(roomId: string, viewer: Viewer): Promise<Record<string, { display_name?: string; avatar_url?: string }>> {
    const head = await this.cache.head(roomId);
    if ((await this.reader.membership(head, viewer.userId)) !== "join") throw forbidden();
    const ids: string[] = [];
    for (const [key, id] of head.state) if (splitStateKey(key)[0] === "m.room.member") ids.push(id);
    const out: Record<string, { display_name?: string; avatar_url?: string }> = {};
    for (const e of (await this.events.getByIds(ids)).values()) {
      if (e.pdu.content["membership"] !== "join") continue;
      const content = e.pdu.content;
      out[e.pdu.state_key as string] = {
        ...(typeof content["displayname"] === "string" ? { display_name: content["displayname"] } : {}),
        ...(typeof content["avatar_url"] === "string" ? { avatar_url: content["avatar_url"] } : {}),
      };
    }
    return out;
  }

  async joinedRooms(userId: string): Promise<string[]> {
    return (await this.rooms.membershipsOf(userId)).filter((m) => m.membership === "join").map((m) => m.roomId);
  }

  /** GET /messages: pages of history in topological order, filtered and visibility-checked. */
  async messages(
    roomId: string,
    viewer: Viewer,
    options: { from?: string; to?: string; dir: "b" | "f"; limit: number; filter?: RoomEventFilter },
  ): Promise<MessagesPage> {
    const head = await this.cache.head(roomId);
    const membership = await this.reader.membership(head, viewer.userId);
    const visibilityNow = parseHistoryVisibility(await this.reader.content(head, "m.room.history_visibility"));
    if (membership === undefined && visibilityNow !== "world_readable") throw forbidden();
    const roomNid = head.room.roomNid;
    const limit = Math.min(Math.max(options.limit, 0), 1000);
    let from: { depth: number; stream: number };
    if (options.from === undefined) {
      from = options.dir === "b" ? { depth: Number.MAX_SAFE_INTEGER, stream: Number.MAX_SAFE_INTEGER } : { depth: -1, stream: 0 };
    } else {
      const token = decodePaginationToken(options.from);
      if (token.kind === "topological") from = token;
      else {
        const point = await this.events.topologicalPointAt(roomNid, token.stream);
        // A stream token is "after everything up to this position": backwards starts just after that event.
        from = point ? (options.dir === "b" ? { depth: point.depth, stream: point.stream + 1 } : point) : { depth: -1, stream: 0 };
      }
    }
    let to: { depth: number; stream: number } | undefined;
    if (options.to !== undefined) {
      const token = decodePaginationToken(options.to);
      if (token.kind === "topological") to = token;
      else {
        const point = await this.events.topologicalPointAt(roomNid, token.stream);
        // A stream token is "after everything up to this position" (as for `from` above): backwards,
        // stopping there leaves out the event at that position, which the token's holder has seen.
        to = point && options.dir === "b" ? { depth: point.depth, stream: point.stream + 1 } : point;
      }
    }
    const chunk: StoredEvent[] = [];
    let cursor = from;
    let exhausted = false;
    let backfills = 0;
    // Filtering and visibility may drop events: fetch more until the page is full or history ends.
    for (let round = 0; round < 10 && chunk.length < limit && !exhausted; round++) {
      const batch = await this.events.roomEventsTopological(roomNid, cursor, options.dir, Math.max(limit * 2, 20), to);
      // Backwards, a gap in our history within this batch (or below it, when the batch reaches the
      // oldest events we hold) is filled from other servers before the batch is used, as Synapse does:
      // then the batch is read again, so events come out in order with nothing skipped.
      if (options.dir === "b" && this.backfill && backfills < MAX_BACKFILLS) {
        const full = batch.length === Math.max(limit * 2, 20);
        const lowest = full ? (batch[batch.length - 1] as StoredEvent).depth - 1 : (to?.depth ?? -1);
        const outcome = await this.backfill(roomId, cursor.depth, lowest);
        if (outcome !== "none") backfills++;
        if (outcome === "filled") continue;
      }
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      const last = batch[batch.length - 1] as StoredEvent;
      cursor = { depth: last.depth, stream: last.streamOrdering as number };
      const visible = await this.visibility.filter(viewer.userId, batch, membership);
      for (const e of visible) {
        if (chunk.length >= limit) break;
        if (!eventMatchesFilter(options.filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content })) continue;
        chunk.push(e);
        cursor = { depth: e.depth, stream: e.streamOrdering as number };
      }
      if (chunk.length < limit) {
        cursor = { depth: last.depth, stream: last.streamOrdering as number };
        if (batch.length < Math.max(limit * 2, 20)) exhausted = true;
      }
    }
    const formatted = await this.formatter.format(chunk, { viewer });
    const page: MessagesPage = {
      start: options.from ?? encodeTopologicalToken(options.dir === "b" ? { depth: head.depth + 1, stream: 0 } : { depth: 0, stream: 0 }),
      chunk: formatted,
    };
    if (!exhausted || chunk.length === limit) page.end = encodeTopologicalToken(cursor);
    if (options.filter?.lazy_load_members) page.state = await this.memberStateFor(head, chunk, viewer, options.filter.include_redundant_members ?? false);
    return page;
  }

  /** The member events of the senders of `events` (lazy-loading members), at the current state. */
  async memberStateFor(head: RoomHead, events: readonly StoredEvent[], viewer: Viewer, _includeRedundant: boolean): Promise<ClientEvent[]> {
    const senders = new Set(events.map((e) => e.pdu.sender));
    const ids = [...senders].map((s) => head.state.get(stateKey("m.room.member", s))).filter((id): id is string => id !== undefined);
    return this.formatter.format([...(await this.events.getByIds(ids)).values()], { viewer, bundle: false });
  }

  /** GET /context/{eventId}: the event, some before and after, and the state at the event. */
  async context(roomId: string, eventId: string, viewer: Viewer, limit: number, filter?: RoomEventFilter): Promise<Record<string, unknown>> {
    const head = await this.cache.head(roomId);
    const event = await this.events.getById(eventId);
    if (!event || event.roomNid !== head.room.roomNid || event.streamOrdering === null) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    const membership = await this.reader.membership(head, viewer.userId);
    if ((await this.visibility.filter(viewer.userId, [event], membership)).length === 0) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    const point = { depth: event.depth, stream: event.streamOrdering };
    const half = Math.max(0, Math.floor(Math.min(limit, 100) / 2));
    const beforeLimit = half;
    const afterLimit = Math.max(0, Math.min(limit, 100) - half);
    const pick = async (dir: "b" | "f", n: number): Promise<StoredEvent[]> => {
      const batch = await this.events.roomEventsTopological(head.room.roomNid, point, dir, n * 2 + 10);
      const visible = await this.visibility.filter(viewer.userId, batch, membership);
      return visible.filter((e) => eventMatchesFilter(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content })).slice(0, n);
    };
    const before = await pick("b", beforeLimit);
    const after = await pick("f", afterLimit);
    const stateIds = event.stateSnapshotNid !== null ? await this.snapshotAsIds(event.stateSnapshotNid) : new Map<string, string>();
    let stateEvents = [...(await this.events.getByIds([...stateIds.values()])).values()];
    if (filter?.lazy_load_members) {
      const senders = new Set([event, ...before, ...after].map((e) => e.pdu.sender));
      stateEvents = stateEvents.filter((e) => e.pdu.type !== "m.room.member" || senders.has(e.pdu.state_key as string));
    }
    const lastBefore = before[before.length - 1];
    const lastAfter = after[after.length - 1];
    return {
      event: await this.formatter.formatOne(event, { viewer }),
      events_before: await this.formatter.format(before, { viewer }),
      events_after: await this.formatter.format(after, { viewer }),
      start: encodeTopologicalToken(lastBefore ? { depth: lastBefore.depth, stream: lastBefore.streamOrdering as number } : point),
      end: encodeTopologicalToken(lastAfter ? { depth: lastAfter.depth, stream: lastAfter.streamOrdering as number } : point),
      state: await this.formatter.format(stateEvents, { viewer, bundle: false }),
    };
  }
}
