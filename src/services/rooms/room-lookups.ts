/**
 * Two lookups across rooms: the event nearest a point in time (GET /rooms/{roomId}/timestamp_to_event,
 * "jump to date") and the rooms two users share (GET /mutual_rooms, v1.19).
 */
import { MatrixError } from "../../errors.js";
import { userIdGrammar } from "../../protocol/identifiers.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomLookupStore } from "../../storage/room-lookup-store.js";
import type { CurrentStateCache } from "./current-state.js";
import type { RoomStateReader } from "./room-state-reader.js";
import { parseHistoryVisibility } from "./visibility.js";

export interface MutualRoomsPage {
  joined: string[];
  count: number;
  next_batch?: string;
}

interface MutualRoomsToken {
  /** The other user: a token is only good for the query that made it. */
  user: string;
  after: string;
}

function encodeMutualToken(token: MutualRoomsToken): string {
  return Buffer.from(JSON.stringify([token.user, token.after])).toString("base64url");
}

function decodeMutualToken(text: string): MutualRoomsToken | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && typeof parsed[1] === "string") {
      return { user: parsed[0], after: parsed[1] };
    }
  } catch {
    // fall through: not a token of ours
  }
  return undefined;
}

/**
 * A closer event from the room's other servers than `local` (none held, or ours next to a gap in our
 * history), or undefined to keep ours (federation/remote-timestamp.ts).
 */
export type RemoteTimestampLookup = (
  roomId: string,
  ts: number,
  dir: "f" | "b",
  local: { event_id: string; origin_server_ts: number } | undefined,
) => Promise<{ event_id: string; origin_server_ts: number } | undefined>;

export class RoomLookups {
  private remoteLookup: RemoteTimestampLookup | undefined;

  constructor(
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly events: EventStore,
    private readonly lookups: RoomLookupStore,
    private readonly mutualPageSize = 100,
  ) {}

  /** Lets jump to date ask other servers in rooms whose history we hold only in part. */
  setRemoteLookup(lookup: RemoteTimestampLookup): void {
    this.remoteLookup = lookup;
  }

  /**
   * GET /rooms/{roomId}/timestamp_to_event: for members, former members and anyone when the room is
   * world-readable (as Synapse, which allows departed users here). An unknown room is refused like a
   * room the user cannot see, so the answer does not reveal which rooms exist (as Synapse). The answer
   * names an event and its time only, so it is not filtered by history visibility (Synapse neither).
   */
  async eventByTimestamp(userId: string, roomId: string, ts: number, dir: "f" | "b"): Promise<{ event_id: string; origin_server_ts: number }> {
    const head = await this.cache.find(roomId);
    const forbidden = (): MatrixError => new MatrixError(403, "M_FORBIDDEN", "You are not in the room and it is not world-readable");
    if (!head) throw forbidden();
    const membership = await this.reader.membership(head, userId);
    if (membership !== "join" && membership !== "leave") {
      const visibility = parseHistoryVisibility(await this.reader.content(head, "m.room.history_visibility"));
      if (visibility !== "world_readable") throw forbidden();
    }
    const found = await this.lookups.eventNearTimestamp(head.room.roomNid, ts, dir);
    const eventId = found ? (await this.events.eventIdsOf([found.eventNid])).get(found.eventNid) : undefined;
    const local = found && eventId !== undefined ? { event_id: eventId, origin_server_ts: found.originServerTs } : undefined;
    const answer = (this.remoteLookup ? await this.remoteLookup(roomId, ts, dir, local) : undefined) ?? local;
    if (!answer) throw new MatrixError(404, "M_NOT_FOUND", `Unable to find event from ${ts} in ${dir === "f" ? "forward" : "backward"} direction`);
    return answer;
  }

  /**
   * GET /mutual_rooms: rooms where both users are joined, by room ID, in pages. Tokens hold the last
   * room ID of the previous page, so they do not expire; rooms joined meanwhile may or may not appear.
   */
  async mutualRooms(userId: string, otherUserId: string, from: string | undefined): Promise<MutualRoomsPage> {
    const grammar = userIdGrammar(otherUserId);
    if (grammar !== "strict" && grammar !== "compliant") throw new MatrixError(400, "M_INVALID_PARAM", "The user ID provided was invalid");
    if (otherUserId === userId) throw new MatrixError(400, "M_INVALID_PARAM", "You cannot ask for the rooms you share with yourself");
    let after: string | undefined;
    if (from !== undefined) {
      const token = decodeMutualToken(from);
      if (!token || token.user !== otherUserId) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid or expired pagination token");
      after = token.after;
    }
    const rooms = await this.lookups.mutualRooms(userId, otherUserId, after, this.mutualPageSize + 1);
    const page: MutualRoomsPage = { joined: rooms.slice(0, this.mutualPageSize), count: await this.lookups.countMutualRooms(userId, otherUserId) };
    if (rooms.length > this.mutualPageSize) page.next_batch = encodeMutualToken({ user: otherUserId, after: page.joined[page.joined.length - 1] as string });
    return page;
  }
}
