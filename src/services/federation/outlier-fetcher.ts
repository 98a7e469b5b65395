/**
 * Events a backfilled event needs before it can be checked — its auth events, the state before it
 * when its prev events are unknown — fetched from the server that sent it (/event, and /event_auth for
 * their own auth chains), checked (format, signatures, hashes, auth rules against their auth events)
 * and stored as outliers: events we hold without knowing the state at them.
 */
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { Clock } from "../clock.js";
import type { RoomHead } from "../rooms/current-state.js";
import { authoriseTogether } from "./auth-chain-check.js";
import { authEventIdsNeeded, storedLookup } from "./event-checks-auth.js";
import type { CheckedEvent, RemoteHistory } from "./remote-history.js";

/** Most events fetched one by one for one request; a larger state is left for another pagination. */
const MAX_SINGLE_FETCHES = 200;

export class OutlierFetcher {
  constructor(
    private readonly db: Db,
    private readonly events: EventStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly remote: RemoteHistory,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Makes sure the events `ids` are stored here (fetching the missing ones); the IDs that still are not. */
  async ensure(destination: string, head: RoomHead, ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    const have = await this.events.haveEvents(unique);
    const missing = unique.filter((id) => !have.has(id));
    if (missing.length === 0) return new Set();
    const roomId = head.room.roomId;
    const collected = new Map<string, CheckedEvent>();
    for (const id of missing.slice(0, MAX_SINGLE_FETCHES)) {
      const fetched = await this.remote.event(destination, roomId, head.version, id);
      if (fetched) collected.set(id, fetched);
    }
    // Their auth events that we lack come with one /event_auth per event that needs them (the chain is
    // transitive, so one answer covers every level).
    const needed = [...collected.values()].flatMap((e) => authEventIdsNeeded(head.version, e.event));
    const haveAuth = await this.events.haveEvents(needed);
    for (const checked of [...collected.values()]) {
      if (authEventIdsNeeded(head.version, checked.event).every((id) => haveAuth.has(id) || collected.has(id))) continue;
      for (const chained of await this.remote.authChain(destination, roomId, head.version, checked.event.event_id)) {
        if (!haveAuth.has(chained.event.event_id)) collected.set(chained.event.event_id, chained);
      }
    }
    const accepted = await this.authorise(head, [...collected.values()]);
    if (accepted.length > 0) {
      await this.db.transaction(async (tx) => {
        const outliers = accepted.map(({ pdu, event }) => ({ eventId: event.event_id, pdu, prevEvents: event.prev_events, authEvents: event.auth_events }));
        await this.federatedRooms.insertOutliers(tx, head.room.roomNid, outliers, !head.version.strictCanonicalJson, this.clock.now());
      });
    }
    const stored = new Set(accepted.map((e) => e.event.event_id));
    return new Set(missing.filter((id) => !stored.has(id)));
  }

  /** The events that pass the auth rules against their own auth events, parents first. */
  private async authorise(head: RoomHead, list: readonly CheckedEvent[]): Promise<CheckedEvent[]> {
    const stored = await storedLookup(this.events, head.version, list.flatMap((e) => authEventIdsNeeded(head.version, e.event)));
    const { accepted, refused } = authoriseTogether(head.version, list, stored);
    for (const { item, reason } of refused) this.log.info({ roomId: head.room.roomId, eventId: item.event.event_id, reason }, "fetched event refused");
    return [...accepted.values()];
  }
}
