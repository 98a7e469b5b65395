/**
 * Room history other servers ask for (server-server API "Backfilling and retrieving missing events",
 * `GET /backfill/{roomId}`, and `GET /timestamp_to_event/{roomId}`). Backfill walks back from the
 * given events through prev_events, newest (greatest depth) first as Synapse does, the given events
 * included, up to the limit; what the asking server may not see is sent redacted (server-visibility.ts).
 */
import { MatrixError } from "../../errors.js";
import type { Pdu } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { RoomLookupStore } from "../../storage/room-lookup-store.js";
import type { Clock } from "../clock.js";
import { roomEventOf } from "../rooms/room-event-view.js";
import type { ServedRooms } from "./served-room.js";
import type { ServerVisibility } from "./server-visibility.js";

/** Most events one /backfill answers (Synapse caps at 100 too). */
export const MAX_BACKFILL_LIMIT = 100;

export class HistoryServing {
  constructor(
    private readonly rooms: ServedRooms,
    private readonly events: EventStore,
    private readonly lookups: RoomLookupStore,
    private readonly visibility: ServerVisibility,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** GET /_matrix/federation/v1/backfill/{roomId}?v=…&limit=…. */
  async backfill(origin: string, roomId: string, from: readonly string[], limit: number): Promise<{ origin: string; origin_server_ts: number; pdus: Pdu[] }> {
    const head = await this.rooms.roomFor(origin, roomId);
    const wanted = Math.min(Math.max(limit, 0), MAX_BACKFILL_LIMIT);
    const found: StoredEvent[] = [];
    const seen = new Set(from);
    let frontier = [...(await this.events.getByIds([...seen])).values()];
    while (frontier.length > 0 && found.length < wanted) {
      // Always the deepest event next, so that a limited answer is the newest part of the history.
      frontier.sort((a, b) => b.depth - a.depth || (b.streamOrdering ?? 0) - (a.streamOrdering ?? 0));
      const event = frontier.shift() as StoredEvent;
      // Outliers have no state of ours to judge visibility by, and their prev events are not walked
      // (Synapse serves only timeline events here too).
      if (event.roomNid !== head.room.roomNid || event.rejectedReason !== null || event.stateSnapshotNid === null) continue;
      found.push(event);
      const prevs = roomEventOf(event, head.version).prev_events.filter((id) => !seen.has(id));
      for (const id of prevs) seen.add(id);
      if (prevs.length > 0) frontier = [...frontier, ...(await this.events.getByIds(prevs)).values()];
    }
    const pdus = await this.visibility.forServer(origin, head.version, found);
    return { origin: this.serverName, origin_server_ts: this.clock.now(), pdus };
  }

  /**
   * GET /_matrix/federation/v1/timestamp_to_event/{roomId}: the same lookup as the client-server
   * endpoint (RoomLookupStore.eventNearTimestamp), for servers in the room.
   */
  async eventByTimestamp(origin: string, roomId: string, ts: number, dir: "f" | "b"): Promise<{ event_id: string; origin_server_ts: number }> {
    const head = await this.rooms.roomFor(origin, roomId);
    const found = await this.lookups.eventNearTimestamp(head.room.roomNid, ts, dir);
    const eventId = found ? (await this.events.eventIdsOf([found.eventNid])).get(found.eventNid) : undefined;
    if (!found || eventId === undefined) {
      throw new MatrixError(404, "M_NOT_FOUND", `Unable to find event from ${ts} in ${dir === "f" ? "forward" : "backward"} direction`);
    }
    return { event_id: eventId, origin_server_ts: found.originServerTs };
  }
}
