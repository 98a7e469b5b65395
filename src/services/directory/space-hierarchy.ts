/**
 * GET /rooms/{roomId}/hierarchy (client-server API "Spaces"): a depth-first walk of the space tree
 * along `m.space.child` events, returning the rooms the user may see with their summaries and, for
 * spaces, their (stripped) child events. Rooms this server is not in are asked of the servers the
 * child event's `via` names (remote-hierarchy.ts), and shown when the user could join or read them.
 *
 * Pagination is stateless: the token records the request's parameters and how many rooms were already
 * returned, and the next page repeats the walk and skips those. Any process can serve any page, and a
 * walk is capped by MAX_WALK so a huge or looping tree cannot exhaust the server.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { FederationHierarchy, type FederationHierarchyAnswer } from "./federation-hierarchy.js";
import type { RemoteHierarchy, SummaryWithChildren } from "./remote-hierarchy.js";
import type { RoomPreview } from "./room-preview.js";
import { spaceChildren, viaOf, type StrippedChild } from "./space-children.js";

export interface HierarchyQuery {
  suggestedOnly: boolean;
  limit?: number;
  maxDepth?: number;
  from?: string;
}

export type HierarchyRoom = SummaryWithChildren;

interface WalkEntry {
  roomId: string;
  depth: number;
  /** Servers to ask for the room when this server is not in it. */
  via: readonly string[];
}

/** What one walk learnt from other servers: summaries of children, and children nobody here can reach. */
interface RemoteFindings {
  summaries: Map<string, SummaryWithChildren>;
  inaccessible: Set<string>;
}

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

export class SpaceHierarchyService {
  private remote: RemoteHierarchy | undefined;
  private readonly served: FederationHierarchy;

  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly preview: RoomPreview,
  ) {
    this.served = new FederationHierarchy(cache, reader, preview);
  }

  /** Federation `GET /hierarchy/{roomId}`: the space and its children as server `origin` may see them. */
  forServer(origin: string, roomId: string, suggestedOnly: boolean): Promise<FederationHierarchyAnswer> {
    return this.served.hierarchy(origin, roomId, suggestedOnly);
  }

  /** Wired by context.ts: rooms this server is not in are then asked of other servers. */
  setRemote(remote: RemoteHierarchy): void {
    this.remote = remote;
  }

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
    const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT);

    const rooms: HierarchyRoom[] = [];
    const processed = new Set<string>();
    const findings: RemoteFindings = { summaries: new Map(), inaccessible: new Set() };
    // A root this server is not in is asked of the server in its room ID (v12 room IDs name none).
    const rootVia = domainOfId(roomId) === "" ? [] : [domainOfId(roomId)];
    // The next room is last on the stack; children go on in reverse so the first child comes next.
    const stack: WalkEntry[] = [{ roomId, depth: 0, via: rootVia }];
    let returned = 0;
    while (stack.length > 0 && rooms.length < limit && processed.size < MAX_WALK) {
      const entry = stack.pop() as WalkEntry;
      if (processed.has(entry.roomId)) continue;
      processed.add(entry.roomId);
      const walkChildren = maxDepth === null || entry.depth < maxDepth;
      const room = await this.visit(entry, userId, query.suggestedOnly, walkChildren, findings);
      if (!room) {
        if (entry.depth === 0) throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");
        continue;
      }
      if (returned >= skip) rooms.push(room);
      returned++;
      if (walkChildren) {
        const children = room.children_state;
        for (let i = children.length - 1; i >= 0; i--) {
          const child = children[i] as StrippedChild;
          stack.push({ roomId: child.state_key, depth: entry.depth + 1, via: viaOf(child) });
        }
      }
    }
    const page: { rooms: HierarchyRoom[]; next_batch?: string } = { rooms };
    // Rooms already walked may still be on the stack (a room listed by two spaces); they make no page.
    if (stack.some((entry) => !processed.has(entry.roomId)) && processed.size < MAX_WALK) {
      page.next_batch = encodeToken({ room: roomId, suggestedOnly: query.suggestedOnly, maxDepth, skip: returned });
    }
    return page;
  }

  /** One room of the walk as the user may see it, from this server's state or another server's answer. */
  private async visit(entry: WalkEntry, userId: string, suggestedOnly: boolean, walkChildren: boolean, findings: RemoteFindings): Promise<HierarchyRoom | undefined> {
    const head = await this.cache.find(entry.roomId);
    if (head) {
      if (!(await this.preview.mayPreview(head, userId, { refuseBanned: true }))) return undefined;
      const summary = await this.preview.summary(head);
      return { ...summary, children_state: summary.room_type === "m.space" ? await spaceChildren(this.reader, head, suggestedOnly) : [] };
    }
    if (!this.remote || findings.inaccessible.has(entry.roomId)) return undefined;
    // As Synapse: the summary a parent's answer gave serves for a room that is not a space, or whose
    // children are not walked; a space is asked itself, since its answer carries its children.
    let room = findings.summaries.get(entry.roomId);
    if (!room || (room.room_type === "m.space" && walkChildren)) {
      const space = await this.remote.space(entry.roomId, entry.via, suggestedOnly);
      if (space) {
        room = space.room;
        for (const [childId, child] of space.children) findings.summaries.set(childId, child);
        for (const childId of space.inaccessible) findings.inaccessible.add(childId);
      }
    }
    if (!room || !(await this.preview.mayPreviewRemote(room, userId))) return undefined;
    // The other server was asked for suggested rooms only; an older one may not have filtered.
    const children = room.room_type !== "m.space" ? [] : room.children_state.filter((c) => !suggestedOnly || c.content["suggested"] === true);
    return { ...room, children_state: children };
  }
}
