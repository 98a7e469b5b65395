/**
 * The local end of a join over federation: in one transaction, the room row, the auth chain and state
 * from send_join as outliers, that state as the room's current state with every member's
 * membership, and our join event on top of it (through the persist pipeline, so /sync and the
 * hooks see it as any other event). Runs under the room's linearizer.
 */
import type { Pdu, RoomEvent, StateKey } from "../../protocol/event.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { Db } from "../../storage/db.js";
import type { FederatedRoomStore, MemberOfState } from "../../storage/federated-room-store.js";
import type { PartialStateStore } from "../../storage/partial-state-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";

export interface JoinedRoom {
  roomId: string;
  version: RoomVersion;
  /** Every checked and authorised event of the answer (auth chain and state). */
  events: ReadonlyMap<string, { pdu: Pdu; event: RoomEvent }>;
  /** The state before the join. */
  state: ReadonlyMap<StateKey, string>;
  join: { pdu: Pdu; event: RoomEvent };
  /** Set when the resident server omitted the members: the servers in the room (partial-state.ts completes it). */
  partialServers?: readonly string[];
}

export class RoomJoinPersister {
  constructor(
    private readonly db: Db,
    private readonly rooms: RoomStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly persister: EventPersister,
    private readonly cache: CurrentStateCache,
    private readonly linearizer: RoomLinearizer,
    private readonly eventStream: StreamIdGenerator,
    private readonly clock: Clock,
    private readonly serverName: string,
    private readonly partialRooms?: PartialStateStore,
  ) {}

  /** Creates the room locally from a send_join answer; false when the room appeared meanwhile. */
  async persist(joined: JoinedRoom): Promise<boolean> {
    return this.linearizer.run(joined.roomId, async () => {
      if (await this.cache.find(joined.roomId)) return false;
      const now = this.clock.now();
      const { version } = joined;
      const outliers = [...joined.events.values()].map(({ pdu, event }) => ({ eventId: event.event_id, pdu, prevEvents: event.prev_events, authEvents: event.auth_events }));
      const members: MemberOfState[] = [];
      let depth = 0;
      for (const id of joined.state.values()) {
        const event = joined.events.get(id)?.event;
        if (!event) continue;
        depth = Math.max(depth, event.depth ?? 0);
        if (event.type === "m.room.member" && event.state_key !== undefined) {
          const membership = event.content["membership"];
          members.push({ userId: event.state_key, membership: typeof membership === "string" ? membership : "leave", sender: event.sender, eventId: id });
        }
      }
      await this.db.transaction(async (tx) => {
        const roomNid = await this.rooms.insertRoom(tx.db, joined.roomId, version.id, now);
        const partial = joined.partialServers !== undefined && this.partialRooms !== undefined;
        if (partial) {
          await this.rooms.setPartialState(tx, roomNid, true);
          await this.partialRooms?.insert(tx, { roomNid, joinEventId: joined.join.event.event_id, servers: [...(joined.partialServers ?? [])], joinedTs: now });
        }
        await this.federatedRooms.insertOutliers(tx, roomNid, outliers, !version.strictCanonicalJson, now);
        await this.federatedRooms.writeCurrentState(tx, roomNid, joined.state, members, this.eventStream.allocate(tx), this.serverName);
        const head: RoomHead = {
          room: { roomNid, roomId: joined.roomId, roomVersion: version.id, createdTs: now, visibility: "private", partialState: partial },
          version,
          state: joined.state,
          // The join's prev_events are the resident server's extremities, which we do not hold: the join
          // becomes our only forward extremity.
          extremities: [],
          depth,
          snapshot: null,
        };
        await this.persister.persistInTransaction(tx, { head, pdu: joined.join.pdu, event: joined.join.event, stateBefore: joined.state, snapshotBefore: null });
      });
      return true;
    });
  }
}
