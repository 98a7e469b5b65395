/**
 * The room another server asks about, when it may ask: the room must be known here (404 M_NOT_FOUND)
 * and the asking server must have a joined member in it (403 M_FORBIDDEN), the check Synapse makes
 * (`assert_host_in_room`) before serving history or state.
 */
import { MatrixError } from "../../errors.js";
import type { Db } from "../../storage/db.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";

export class ServedRooms {
  constructor(
    private readonly db: Db,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly federatedRooms: FederatedRoomStore,
  ) {}

  /** The room's head, once `origin` is known to be in it. */
  async roomFor(origin: string, roomId: string): Promise<RoomHead> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const servers = await this.federatedRooms.joinedServers(this.db.kysely, head.room.roomNid);
    if (!servers.has(origin)) throw new MatrixError(403, "M_FORBIDDEN", "Your server is not in this room");
    return head;
  }

  /** An event of the room that has state of ours (not an outlier, not rejected), or 404. */
  async timelineEvent(head: RoomHead, eventId: string): Promise<StoredEvent> {
    const stored = await this.events.getById(eventId);
    if (!stored || stored.roomNid !== head.room.roomNid || stored.rejectedReason !== null || stored.stateSnapshotNid === null) {
      throw new MatrixError(404, "M_NOT_FOUND", "Unknown event, or no state known at it");
    }
    return stored;
  }
}
