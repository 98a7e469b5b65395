/**
 * Room events other servers ask for (server-server API "Retrieving events"): one event by ID
 * (`GET /event/{eventId}`) and the gap before events they received
 * (`POST /get_missing_events/{roomId}`), walked back through prev_events from `latest_events` until
 * `earliest_events`. Only servers with a joined member in the room are answered.
 */
import { MatrixError } from "../../errors.js";
import type { Pdu } from "../../protocol/event.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import { roomEventOf } from "../rooms/room-event-view.js";

export interface MissingEventsRequest {
  earliest_events: string[];
  latest_events: string[];
  limit?: number | undefined;
  min_depth?: number | undefined;
}

/** Most events one get_missing_events answers. */
const MAX_LIMIT = 50;

export class EventServing {
  constructor(
    private readonly db: Db,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** GET /_matrix/federation/v1/event/{eventId}. */
  async getEvent(origin: string, eventId: string): Promise<{ origin: string; origin_server_ts: number; pdus: Pdu[] }> {
    const stored = await this.events.getById(eventId);
    const room = stored ? await this.rooms.getByNid(stored.roomNid) : undefined;
    if (!stored || !room || stored.rejectedReason !== null) throw new MatrixError(404, "M_NOT_FOUND", "Unknown event");
    await this.checkInRoom(origin, room.roomNid);
    return { origin: this.serverName, origin_server_ts: this.clock.now(), pdus: [stored.pdu] };
  }

  /** POST /_matrix/federation/v1/get_missing_events/{roomId}. */
  async getMissingEvents(origin: string, roomId: string, request: MissingEventsRequest): Promise<{ events: Pdu[] }> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    await this.checkInRoom(origin, head.room.roomNid);
    const limit = Math.min(Math.max(request.limit ?? 10, 0), MAX_LIMIT);
    const minDepth = request.min_depth ?? 0;
    const seen = new Set([...request.earliest_events, ...request.latest_events]);
    const found: { depth: number; pdu: Pdu }[] = [];
    let frontier = [...request.latest_events];
    let first = true;
    while (frontier.length > 0 && found.length < limit) {
      const stored = await this.events.getByIds(frontier);
      const next: string[] = [];
      for (const event of stored.values()) {
        if (event.roomNid !== head.room.roomNid) continue;
        if (!first) {
          if (found.length >= limit || event.depth < minDepth) continue;
          found.push({ depth: event.depth, pdu: event.pdu });
        }
        for (const prev of roomEventOf(event, head.version).prev_events) {
          if (!seen.has(prev)) {
            seen.add(prev);
            next.push(prev);
          }
        }
      }
      frontier = next;
      first = false;
    }
    return { events: found.sort((a, b) => a.depth - b.depth).map((e) => e.pdu) };
  }

  private async checkInRoom(origin: string, roomNid: number): Promise<void> {
    const servers = await this.federatedRooms.joinedServers(this.db.kysely, roomNid);
    if (!servers.has(origin)) throw new MatrixError(403, "M_FORBIDDEN", "Your server is not in this room");
  }
}
