/**
 * The published room directory (client-server API "Published room directory"): a room's visibility in
 * it, and the paginated, searchable list of published rooms ordered by joined members (largest first,
 * then room ID, a stable order as v1.19 recommends).
 *
 * Pages are offsets into that order. Synapse keys pages by (member count, room ID) instead; offsets are
 * simpler and good enough for a list that is recomputed on every request anyway.
 */
import { MatrixError } from "../../errors.js";
import type { JsonObject } from "../../protocol/json.js";
import { findRoomVersion } from "../../protocol/room-versions.js";
import { parseServerName } from "../../protocol/server-name.js";
import type { DirectoryStore } from "../../storage/directory-store.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Requester } from "../accounts/requester.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { AliasService } from "./alias-service.js";
import { publicRoomChunk, SUMMARY_STATE_TYPES, visibleContent, type PublicRoomChunk } from "./summary-fields.js";

export type DirectoryVisibility = "public" | "private";

export interface PublicRoomsQuery {
  limit?: number;
  since?: string;
  /** The server whose directory to list; this server when absent. */
  server?: string;
  searchTerm?: string;
  /** Room types to include; null stands for rooms without a type. */
  roomTypes?: readonly (string | null)[];
  thirdPartyInstanceId?: string;
  includeAllNetworks?: boolean;
}

export interface PublicRoomsPage {
  chunk: PublicRoomChunk[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

/** Other servers' directories, over federation (remote-public-rooms.ts). */
export interface RemoteDirectories {
  list(server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage>;
}

/** The most rooms one page holds, whatever the client asks for. */
const MAX_PAGE = 500;

const encodeOffset = (offset: number): string => `o${offset}`;

function decodeOffset(token: string): number {
  const match = /^o(\d{1,9})$/.exec(token);
  if (!match) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid pagination token");
  return Number(match[1]);
}

export class RoomDirectoryService {
  private remote: RemoteDirectories | undefined;

  constructor(
    private readonly directory: DirectoryStore,
    private readonly rooms: RoomStore,
    private readonly users: UserStore,
    private readonly events: EventStore,
    private readonly cache: CurrentStateCache,
    private readonly aliases: AliasService,
    private readonly options: { serverName: string; publishRequiresAdmin: boolean },
  ) {}

  /** Wired by context.ts: `server=` another server then lists that server's directory over federation. */
  setRemote(remote: RemoteDirectories): void {
    this.remote = remote;
  }

  /** GET /directory/list/room/{roomId}. */
  async getVisibility(roomId: string): Promise<{ visibility: DirectoryVisibility }> {
    const visibility = await this.directory.visibility(roomId);
    if (visibility === undefined) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
    return { visibility };
  }

  /**
   * PUT /directory/list/room/{roomId}: server administrators, or members who may change the room's
   * canonical alias (Synapse's rule). With `room_directory.publish_requires_admin` only administrators
   * may publish; moderators may still withdraw a room.
   */
  async setVisibility(requester: Requester, roomId: string, visibility: DirectoryVisibility): Promise<void> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
    if (!requester.isAdmin) {
      if (visibility === "public" && this.options.publishRequiresAdmin) {
        throw new MatrixError(403, "M_FORBIDDEN", "Only server administrators may publish rooms in the directory");
      }
      if (!(await this.aliases.mayEditAliases(head, requester.userId))) {
        throw new MatrixError(403, "M_FORBIDDEN", "You need to be a moderator in the room to edit its directory entry");
      }
    }
    await this.rooms.setVisibility(roomId, visibility);
  }

  /** createRoom with `visibility: public`: refused when only administrators may publish. */
  async checkPublish(userId: string): Promise<void> {
    if (!this.options.publishRequiresAdmin) return;
    if (!(await this.users.get(userId))?.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "Only server administrators may publish rooms in the directory");
  }

  /** Room upgrades: a published room's successor takes its place in the directory. */
  async moveVisibility(fromRoomId: string, toRoomId: string): Promise<void> {
    if ((await this.directory.visibility(fromRoomId)) !== "public") return;
    await this.rooms.setVisibility(toRoomId, "public");
    await this.rooms.setVisibility(fromRoomId, "private");
  }

  /** GET and POST /publicRooms. */
  async publicRooms(query: PublicRoomsQuery): Promise<PublicRoomsPage> {
    // An empty `server` names no other server: the local directory (as Synapse reads it).
    if (query.server !== undefined && query.server !== "" && query.server !== this.options.serverName) {
      if (parseServerName(query.server) === null) throw new MatrixError(400, "M_INVALID_PARAM", "server is not a server name");
      if (!this.remote) throw new MatrixError(404, "M_NOT_FOUND", "Listing another server's directory needs federation");
      return this.remote.list(query.server, query);
    }
    const offset = query.since === undefined ? 0 : decodeOffset(query.since);
    // Rooms published by application services to third-party networks: this server has none.
    if (query.thirdPartyInstanceId !== undefined && !query.includeAllNetworks) return { chunk: [], total_room_count_estimate: 0 };

    const matching = (await this.allPublicRooms()).filter((room) => isListable(room) && matches(room, query));
    matching.sort((a, b) => b.num_joined_members - a.num_joined_members || (a.room_id < b.room_id ? -1 : a.room_id > b.room_id ? 1 : 0));
    const limit = Math.min(query.limit ?? MAX_PAGE, MAX_PAGE);
    const page: PublicRoomsPage = { chunk: matching.slice(offset, offset + limit), total_room_count_estimate: matching.length };
    if (offset + limit < matching.length) page.next_batch = encodeOffset(offset + limit);
    if (offset > 0) page.prev_batch = encodeOffset(Math.max(0, offset - limit));
    return page;
  }

  private async allPublicRooms(): Promise<PublicRoomChunk[]> {
    const published = await this.directory.publishedRooms();
    const nids = published.map((r) => r.roomNid);
    const [counts, states] = await Promise.all([this.directory.joinedCounts(nids), this.directory.currentStateOfTypes(nids, SUMMARY_STATE_TYPES)]);
    const eventNids = [...states.values()].flatMap((m) => [...m.values()]);
    const found = await this.events.getByNids(eventNids);
    const out: PublicRoomChunk[] = [];
    for (const room of published) {
      const version = findRoomVersion(room.roomVersion);
      if (!version) continue;
      const state = states.get(room.roomNid);
      const content = (type: string): JsonObject | undefined => {
        const nid = state?.get(type);
        const stored = nid === undefined ? undefined : found.get(nid);
        return stored ? visibleContent(stored, version) : undefined;
      };
      out.push(publicRoomChunk(room.roomId, counts.get(room.roomNid) ?? 0, content));
    }
    return out;
  }
}

/**
 * Published rooms are listed only while someone is in them and anyone could get in or read them: join
 * rule public or knock, or world-readable history. The spec does not say; this is Synapse's rule, and
 * it keeps a published room that later became invite-only from being advertised.
 */
function isListable(room: PublicRoomChunk): boolean {
  if (room.num_joined_members === 0) return false;
  return room.world_readable || room.join_rule === "public" || room.join_rule === "knock" || room.join_rule === "knock_restricted";
}

/** The spec's filter: a case-insensitive search of name, topic and canonical alias, and room types. */
function matches(room: PublicRoomChunk, query: PublicRoomsQuery): boolean {
  if (query.roomTypes !== undefined && query.roomTypes.length > 0 && !query.roomTypes.includes(room.room_type ?? null)) return false;
  const term = query.searchTerm?.trim().toLowerCase();
  if (!term) return true;
  return [room.name, room.topic, room.canonical_alias].some((text) => text !== undefined && text.toLowerCase().includes(term));
}
