/**
 * The state before an event as another server says it is (`GET /state_ids` at the event), with every
 * event of it fetched and checked as an outlier where we lack it: for events whose prev events we
 * cannot get (a backfilled event at the edge of what we hold, a received event after a gap that
 * /get_missing_events did not fill), as Synapse does.
 */
import type { Logger } from "../../logger.js";
import { stateKey, type StateKey } from "../../protocol/event.js";
import type { EventStore } from "../../storage/event-store.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { OutlierFetcher } from "./outlier-fetcher.js";
import type { RemoteHistory } from "./remote-history.js";

export class RemoteStateBefore {
  constructor(
    private readonly remote: RemoteHistory,
    private readonly outliers: OutlierFetcher,
    private readonly events: EventStore,
    private readonly log: Logger,
  ) {}

  /** The state before `eventId` by `destination`, or undefined when it will not say or part of it cannot be fetched. */
  async stateBefore(destination: string, head: RoomHead, eventId: string): Promise<Map<StateKey, string> | undefined> {
    const ids = await this.remote.stateIdsBefore(destination, head.room.roomId, eventId);
    if (!ids) return undefined;
    const unfetched = await this.outliers.ensure(destination, head, ids);
    if (unfetched.size > 0) {
      this.log.info({ roomId: head.room.roomId, eventId, missing: unfetched.size }, "state before an event incomplete");
      return undefined;
    }
    const found = await this.events.getByIds(ids);
    const state = new Map<StateKey, string>();
    for (const stored of found.values()) {
      if (stored.rejectedReason !== null || typeof stored.pdu.state_key !== "string") continue;
      state.set(stateKey(stored.pdu.type, stored.pdu.state_key), stored.eventId);
    }
    return state;
  }
}
