/**
 * Jump to date in rooms we joined late (client-server `GET /rooms/{roomId}/timestamp_to_event`, with
 * the server-server endpoint of the same name): when we hold no event in the direction asked, or the
 * one we found sits next to a gap in our history on the side where closer events would be (before it
 * looking forwards, after it looking backwards), the other servers of the room are asked, as Synapse
 * does. A remote answer closer to the timestamp than ours is fetched with /event and stored as
 * backfilled history, so the client can use it.
 */
import type { Logger } from "../../logger.js";
import { isJsonObject } from "../../protocol/json.js";
import type { BackfillStore } from "../../storage/backfill-store.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { BackfillPersister } from "./backfill-persist.js";
import type { HistorySource, RemoteHistory } from "./remote-history.js";

export interface TimestampAnswer {
  event_id: string;
  origin_server_ts: number;
}

/** Servers asked per lookup. */
const MAX_SERVERS = 3;

export class RemoteTimestampLookup {
  constructor(
    private readonly db: Db,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly store: BackfillStore,
    private readonly client: HistorySource,
    private readonly remote: RemoteHistory,
    private readonly persister: BackfillPersister,
    private readonly log: Logger,
  ) {}

  /** A better answer than `local` from another server, or undefined to keep ours. Never throws. */
  async lookup(roomId: string, ts: number, dir: "f" | "b", local: TimestampAnswer | undefined): Promise<TimestampAnswer | undefined> {
    try {
      return await this.lookupRemote(roomId, ts, dir, local);
    } catch (error) {
      this.log.warn({ roomId, error: (error as Error).message }, "remote timestamp lookup failed");
      return undefined;
    }
  }

  private async lookupRemote(roomId: string, ts: number, dir: "f" | "b", local: TimestampAnswer | undefined): Promise<TimestampAnswer | undefined> {
    const head = await this.cache.find(roomId);
    if (!head) return undefined;
    if (local && !(await this.nextToGap(head.room.roomNid, local.event_id, dir))) return undefined;
    const servers = [...(await this.federatedRooms.joinedServers(this.db.kysely, head.room.roomNid, false))].slice(0, MAX_SERVERS);
    for (const server of servers) {
      const path = `/_matrix/federation/v1/timestamp_to_event/${encodeURIComponent(roomId)}?ts=${ts}&dir=${dir}`;
      const answer = await this.client.request(server, "GET", path).catch(() => undefined);
      if (!isJsonObject(answer) || typeof answer["event_id"] !== "string" || typeof answer["origin_server_ts"] !== "number") continue;
      const found = { event_id: answer["event_id"], origin_server_ts: answer["origin_server_ts"] };
      if (local && Math.abs(found.origin_server_ts - ts) >= Math.abs(local.origin_server_ts - ts)) return undefined;
      const held = await this.events.getById(found.event_id);
      if (held && held.streamOrdering !== null) return held.roomNid === head.room.roomNid ? { event_id: held.eventId, origin_server_ts: Number(held.pdu.origin_server_ts) } : undefined;
      // The answer's timestamp is the remote server's word: the event as fetched and checked is ours.
      const fetched = await this.remote.event(server, roomId, head.version, found.event_id);
      if (!fetched || (await this.persister.persist(server, head, [fetched])) === 0) continue;
      return { event_id: fetched.event.event_id, origin_server_ts: fetched.event.origin_server_ts };
    }
    return undefined;
  }

  private async nextToGap(roomNid: number, eventId: string, dir: "f" | "b"): Promise<boolean> {
    const nid = (await this.events.eventNids([eventId])).get(eventId);
    if (nid === undefined) return false;
    return dir === "f" ? this.store.isNextToBackwardGap(this.db.kysely, nid) : this.store.isNextToForwardGap(this.db.kysely, roomNid, nid);
  }
}
