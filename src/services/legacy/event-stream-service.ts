/**
 * The deprecated event stream older clients still use (client-server API, old_sync and "Room
 * Previews"): GET /events streams new events of every room the user is in, oldest first, from a token
 * of the initial sync or of a previous call, waiting up to `timeout` when there are none yet; with
 * `room_id` it streams one room, which a user who is not joined may do when the room is
 * world_readable (peeking): they then get only the events whose history visibility was world_readable.
 * GET /events/{eventId} reads one event the user may see. Tokens are sync tokens (only the events
 * position moves here).
 */
import { MatrixError } from "../../errors.js";
import type { Cancellation, Notifier } from "../../notifier/notifier.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { EventStreamStore } from "../../storage/event-stream-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { RoomReads } from "../rooms/room-reads.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { parseHistoryVisibility, type VisibilityService } from "../rooms/visibility.js";
import { clampToNow, decodeSyncToken, encodeSyncToken, samePositions } from "../sync/tokens.js";

/** Most events one response carries; the `end` token then points at the last one. */
const MAX_CHUNK = 100;

export interface EventStreamRequest {
  from?: string | undefined;
  timeoutMs: number;
  /** Stream only this room (peeking when the user is not joined). */
  roomId?: string | undefined;
}

export interface EventStreamPage {
  start: string;
  end: string;
  chunk: ClientEvent[];
}

/** A room the stream covers, the user's membership in it and the last position they may get from it. */
interface StreamRoom {
  roomId: string;
  membership: string | undefined;
  upTo: number;
  /** The user's own membership event, which they always get (their invite, their leave). */
  ownEventNid?: number;
}

export class EventStreamService {
  constructor(
    private readonly notifier: Notifier,
    private readonly rooms: RoomStore,
    private readonly streamStore: EventStreamStore,
    private readonly events: EventStore,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly visibility: VisibilityService,
    private readonly formatter: EventFormatter,
    private readonly roomReads: RoomReads,
  ) {}

  /** GET /events: the next events after `from`, long-polling up to the timeout when there are none. */
  async stream(viewer: Viewer & { isGuest: boolean }, request: EventStreamRequest, signal: Cancellation): Promise<EventStreamPage> {
    if (request.roomId === undefined && viewer.isGuest) throw new MatrixError(400, "M_MISSING_PARAM", "Guests must give room_id");
    const peeked = request.roomId !== undefined ? await this.peekableHead(request.roomId, viewer.userId) : undefined;
    const from = request.from !== undefined ? clampToNow(decodeSyncToken(request.from), this.notifier.positions()) : this.notifier.positions();
    const deadline = Date.now() + request.timeoutMs;
    for (;;) {
      const now = this.notifier.positions();
      const rooms = peeked ? await this.peekRoom(peeked, viewer.userId, now.events) : await this.userRooms(viewer.userId, from.events, now.events);
      const { events, end } = await this.collect(viewer, rooms, from.events, now.events);
      const remaining = deadline - Date.now();
      // A full page of events the user may not see still moves the stream on.
      if (events.length > 0 || end < now.events || remaining <= 0 || signal.aborted) {
        return { start: encodeSyncToken(from), end: encodeSyncToken({ ...now, events: end }), chunk: await this.formatter.format(events, { viewer }) };
      }
      const joined = [...rooms.values()].filter((r) => r.membership === "join" || peeked).map((r) => r.roomId);
      if (samePositions(this.notifier.positions(), now)) await this.notifier.wait(viewer.userId, joined, remaining, signal);
    }
  }

  /** GET /events/{eventId}: one event, if the user may see it (404 otherwise, as for an unknown event). */
  async event(viewer: Viewer, eventId: string): Promise<ClientEvent> {
    const stored = eventId.startsWith("$") ? await this.events.getById(eventId) : undefined;
    const room = stored ? await this.rooms.getByNid(stored.roomNid) : undefined;
    if (!room) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    return this.roomReads.getEvent(room.roomId, eventId, viewer);
  }

  /** The room to peek into: joined, or world_readable now; 403 otherwise, 404 if unknown. */
  private async peekableHead(roomId: string, userId: string): Promise<RoomHead> {
    const head = await this.cache.head(roomId);
    if ((await this.reader.membership(head, userId)) === "join") return head;
    if (parseHistoryVisibility(await this.reader.content(head, "m.room.history_visibility")) === "world_readable") return head;
    throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");
  }

  private async peekRoom(head: RoomHead, userId: string, now: number): Promise<Map<number, StreamRoom>> {
    const current = await this.cache.head(head.room.roomId);
    return new Map([[head.room.roomNid, { roomId: head.room.roomId, membership: await this.reader.membership(current, userId), upTo: now }]]);
  }

  /** The rooms the user is joined to, and those whose membership changed after `after` up to that change. */
  private async userRooms(userId: string, after: number, now: number): Promise<Map<number, StreamRoom>> {
    const out = new Map<number, StreamRoom>();
    for (const m of await this.rooms.membershipsOf(userId)) {
      if (m.forgotten) continue;
      if (m.membership === "join") out.set(m.roomNid, { roomId: m.roomId, membership: m.membership, upTo: now });
      else if (m.streamOrdering > after) out.set(m.roomNid, { roomId: m.roomId, membership: m.membership, upTo: Math.min(now, m.streamOrdering), ownEventNid: m.eventNid });
    }
    return out;
  }

  /** The events the user may get in (after, now], oldest first, and the position the page ends at. */
  private async collect(viewer: Viewer, rooms: ReadonlyMap<number, StreamRoom>, after: number, now: number): Promise<{ events: StoredEvent[]; end: number }> {
    const raw = await this.streamStore.eventsBetween([...rooms.keys()], after, now, MAX_CHUNK);
    const end = raw.length === MAX_CHUNK ? (raw[raw.length - 1] as { streamOrdering: number }).streamOrdering : now;
    const found = await this.events.getByNids(raw.map((r) => r.eventNid));
    const byRoom = new Map<number, StoredEvent[]>();
    for (const { eventNid } of raw) {
      const event = found.get(eventNid);
      const room = event ? rooms.get(event.roomNid) : undefined;
      if (!event || !room || (event.streamOrdering as number) > room.upTo) continue;
      byRoom.set(event.roomNid, [...(byRoom.get(event.roomNid) ?? []), event]);
    }
    const kept = new Set<number>();
    for (const [roomNid, list] of byRoom) {
      const room = rooms.get(roomNid) as StreamRoom;
      for (const e of await this.visibility.filter(viewer.userId, list, room.membership)) kept.add(e.nid);
      if (room.ownEventNid !== undefined && list.some((e) => e.nid === room.ownEventNid)) kept.add(room.ownEventNid);
    }
    return { events: raw.map((r) => found.get(r.eventNid)).filter((e): e is StoredEvent => e !== undefined && kept.has(e.nid)), end };
  }
}

