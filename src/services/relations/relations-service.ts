/**
 * Reading relations (client-server API "Event relationships" and "Threading"): the children of an
 * event, paginated topologically, and the threads of a room ordered by their latest event. Both go
 * through history visibility; events are served with their bundled aggregations.
 */
import { MatrixError } from "../../errors.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RelationStore, TopoPoint } from "../../storage/relation-store.js";
import { decodePaginationToken, encodeTopologicalToken } from "../sync/tokens.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { parseHistoryVisibility, type VisibilityService } from "../rooms/visibility.js";

/** How many levels `recurse` follows (the spec asks for at least 3). */
export const RECURSION_DEPTH = 3;
/** Visibility may hide rows: a page reads at most this many batches before returning what it has. */
const MAX_ROUNDS = 10;

export interface RelationsRequest {
  relType?: string | undefined;
  eventType?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  dir: "b" | "f";
  limit: number;
  /** Undefined when the client did not send `recurse` (then `recursion_depth` is absent). */
  recurse?: boolean | undefined;
}

export interface RelationsPage {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

export interface ThreadsRequest {
  include: "all" | "participated";
  from?: string | undefined;
  limit: number;
}

export class RelationsService {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
    private readonly store: RelationStore,
    private readonly formatter: EventFormatter,
    private readonly visibility: VisibilityService,
  ) {}

  /** The room and the viewer's membership, if they may read it (member at some point, or world-readable). */
  private async readable(roomId: string, userId: string): Promise<{ head: RoomHead; membership: string | undefined } | undefined> {
    const head = await this.cache.find(roomId);
    if (!head) return undefined;
    const membership = await this.reader.membership(head, userId);
    if (membership === undefined && parseHistoryVisibility(await this.reader.content(head, "m.room.history_visibility")) !== "world_readable") {
      return undefined;
    }
    return { head, membership };
  }

  /** GET /relations/{eventId}[/{relType}[/{eventType}]]. */
  async relations(roomId: string, parentId: string, viewer: Viewer, request: RelationsRequest): Promise<RelationsPage> {
    // The spec answers 404 both for a missing parent and for one the user may not see.
    const notFound = new MatrixError(404, "M_NOT_FOUND", "Event not found");
    const room = await this.readable(roomId, viewer.userId);
    if (!room) throw notFound;
    const { head, membership } = room;
    const parent = await this.events.getById(parentId);
    if (!parent || parent.roomNid !== head.room.roomNid || parent.streamOrdering === null || parent.rejectedReason !== null) throw notFound;
    if ((await this.visibility.filter(viewer.userId, [parent], membership)).length === 0) throw notFound;

    const roomNid = head.room.roomNid;
    const from = request.from !== undefined ? await this.pointOf(roomNid, request.from, request.dir, "from") : undefined;
    const to = request.to !== undefined ? await this.pointOf(roomNid, request.to, request.dir, "to") : undefined;
    const levels = request.recurse ? RECURSION_DEPTH : 1;
    const page = await this.fill(request.limit, from, async (cursor, size) => {
      const rows = await this.store.relatingEvents({
        roomNid,
        parentId,
        relType: request.relType,
        eventType: request.eventType,
        // Edits of a redacted event would leak what the redaction removed (as Synapse).
        excludeRelTypes: parent.redactedByNid !== null ? ["m.replace"] : [],
        dir: request.dir,
        from: cursor,
        to,
        limit: size,
        levels,
      });
      const found = await this.events.getByNids(rows.map((r) => r.nid));
      const stored = rows.map((r) => found.get(r.nid)).filter((e): e is StoredEvent => e !== undefined);
      return { rows, visible: await this.visibility.filter(viewer.userId, stored, membership) };
    });
    const result: RelationsPage = { chunk: await this.formatter.format(page.events, { viewer }) };
    if (page.next) result.next_batch = encodeTopologicalToken(page.next);
    if (request.from !== undefined) result.prev_batch = request.from;
    if (request.recurse !== undefined) result.recursion_depth = levels;
    return result;
  }

  /** GET /threads: thread roots, newest latest event first; `participated` keeps the viewer's threads. */
  async threads(roomId: string, viewer: Viewer, request: ThreadsRequest): Promise<{ chunk: ClientEvent[]; next_batch?: string }> {
    const room = await this.readable(roomId, viewer.userId);
    if (!room) throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");
    const { head, membership } = room;
    let from: TopoPoint | undefined;
    if (request.from !== undefined) {
      const token = decodePaginationToken(request.from);
      if (token.kind !== "topological") throw new MatrixError(400, "M_INVALID_PARAM", "Unknown pagination token");
      from = token;
    }
    const page = await this.fill(request.limit, from, async (cursor, size) => {
      const threads = await this.store.threadRoots(head.room.roomNid, {
        before: cursor,
        limit: size,
        participant: request.include === "participated" ? viewer.userId : undefined,
      });
      const found = await this.events.getByNids(threads.map((t) => t.rootNid));
      const roots = threads.map((t) => found.get(t.rootNid)).filter((e): e is StoredEvent => e !== undefined);
      return { rows: threads.map((t) => ({ nid: t.rootNid, ...t.latest })), visible: await this.visibility.filter(viewer.userId, roots, membership) };
    });
    const result: { chunk: ClientEvent[]; next_batch?: string } = { chunk: await this.formatter.format(page.events, { viewer }) };
    if (page.next) result.next_batch = encodeTopologicalToken(page.next);
    return result;
  }

  /**
   * Fills a page of `limit` visible events from batches of rows in order. `next` is the point after
   * which the following page starts, absent when nothing is left.
   */
  private async fill(
    limit: number,
    from: TopoPoint | undefined,
    fetch: (cursor: TopoPoint | undefined, size: number) => Promise<{ rows: (TopoPoint & { nid: number })[]; visible: StoredEvent[] }>,
  ): Promise<{ events: StoredEvent[]; next: TopoPoint | undefined }> {
    const events: StoredEvent[] = [];
    let cursor = from;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // One row more than the page needs tells whether anything follows it.
      const size = limit - events.length + 1;
      const { rows, visible } = await fetch(cursor, size);
      const shown = new Map(visible.map((e) => [e.nid, e]));
      for (const [index, row] of rows.entries()) {
        const event = shown.get(row.nid);
        if (!event) continue;
        // Rows between the page's last event and this one are hidden: the next page may skip them.
        if (events.length === limit) return { events, next: rows[index - 1] ?? cursor };
        events.push(event);
      }
      if (rows.length < size) return { events, next: undefined };
      cursor = rows[rows.length - 1];
      if (events.length === limit) return { events, next: cursor };
    }
    return { events, next: cursor };
  }

  /** A `from`/`to` token as a point: a topological token, or a sync token's position in this room. */
  private async pointOf(roomNid: number, token: string, dir: "b" | "f", name: string): Promise<TopoPoint> {
    let decoded;
    try {
      decoded = decodePaginationToken(token);
    } catch {
      throw new MatrixError(400, "M_INVALID_PARAM", `Invalid ${name} token`);
    }
    if (decoded.kind === "topological") return { depth: decoded.depth, stream: decoded.stream };
    const point = await this.events.topologicalPointAt(roomNid, decoded.stream);
    // A sync token stands after every event up to its position: going back starts with that event.
    if (!point) return dir === "b" ? { depth: 0, stream: 0 } : { depth: -1, stream: 0 };
    return dir === "b" && name === "from" ? { depth: point.depth, stream: point.stream + 1 } : point;
  }
}
