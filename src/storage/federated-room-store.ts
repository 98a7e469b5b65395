/**
 * Writes that only rooms shared with other servers need: outliers (events whose state we do not
 * hold: a joined room's auth chain and state), a room's whole current state and memberships at once
 * (the state a join over federation starts from), and which servers have joined members (where our
 * events go). Every write takes the caller's transaction, so a join lands whole or not at all.
 */
import { canonicalJson } from "../protocol/canonical-json.js";
import { stateKey, type Pdu, type StateKey } from "../protocol/event.js";
import { domainOfId } from "../protocol/identifiers.js";
import type { Executor, Tx } from "./db.js";
import type { EventStore } from "./event-store.js";
import type { StateStore } from "./state-store.js";

export interface OutlierEvent {
  eventId: string;
  /** Without `unsigned`. */
  pdu: Pdu;
  prevEvents: readonly string[];
  authEvents: readonly string[];
}

export interface MemberOfState {
  userId: string;
  membership: string;
  sender: string;
  eventId: string;
}

export class FederatedRoomStore {
  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
  ) {}

  /** Stores events as outliers (no stream position, no state), skipping those already stored. */
  async insertOutliers(tx: Tx, roomNid: number, outliers: readonly OutlierEvent[], lenientJson: boolean, now: number): Promise<void> {
    if (outliers.length === 0) return;
    const referenced = outliers.flatMap((e) => [e.eventId, ...e.prevEvents, ...e.authEvents]);
    const nids = await this.events.internEventIds(tx, referenced);
    const ownNids = outliers.map((e) => nids.get(e.eventId) as number);
    const stored = new Set<number>();
    for (let i = 0; i < ownNids.length; i += 500) {
      const rows = await tx.db.selectFrom("events").select("event_nid").where("event_nid", "in", ownNids.slice(i, i + 500)).execute();
      for (const row of rows) stored.add(Number(row.event_nid));
    }
    const keys = outliers.filter((e) => typeof e.pdu.state_key === "string").map((e) => stateKey(e.pdu.type, e.pdu.state_key as string));
    const keyNids = await this.states.internStateKeys(tx, [...new Set(keys)]);
    for (const outlier of outliers) {
      const nid = nids.get(outlier.eventId) as number;
      if (stored.has(nid)) continue;
      stored.add(nid);
      const { pdu } = outlier;
      await this.events.insertEvent(tx.db, {
        nid,
        roomNid,
        streamOrdering: null,
        depth: Number(pdu.depth),
        type: pdu.type,
        stateKeyNid: typeof pdu.state_key === "string" ? (keyNids.get(stateKey(pdu.type, pdu.state_key)) ?? null) : null,
        sender: pdu.sender,
        originServerTs: Number(pdu.origin_server_ts),
        receivedTs: now,
        json: canonicalJson(pdu as never, { lenient: lenientJson }),
        outlier: true,
        rejectedReason: null,
        softFailed: false,
        stateSnapshotNid: null,
        prevStateEventNid: null,
        relatesToId: null,
        relType: null,
        threadId: null,
      });
      const ids = (list: readonly string[]): number[] => list.map((id) => nids.get(id) as number);
      await this.events.insertEdges(tx.db, nid, ids(outlier.prevEvents), ids(outlier.authEvents));
    }
  }

  /**
   * Makes `state` the room's current state (recorded in the state-delta stream at `streamOrdering`)
   * and writes the membership of every member event in it.
   */
  async writeCurrentState(
    tx: Tx,
    roomNid: number,
    state: ReadonlyMap<StateKey, string>,
    members: readonly MemberOfState[],
    streamOrdering: number,
    serverName: string,
  ): Promise<void> {
    const keyNids = await this.states.internStateKeys(tx, [...state.keys()]);
    const eventNids = await this.events.internEventIds(tx, [...state.values()]);
    const changes = [...state].map(([key, id]) => ({ stateKeyNid: keyNids.get(key) as number, eventNid: eventNids.get(id) as number, prevEventNid: null }));
    await this.states.updateCurrentState(tx, roomNid, changes, streamOrdering);
    for (const member of members) {
      await this.states.upsertMembership(tx, {
        roomNid,
        userId: member.userId,
        membership: member.membership,
        eventNid: eventNids.get(member.eventId) as number,
        streamOrdering,
        sender: member.sender,
        isLocal: domainOfId(member.userId) === serverName,
      });
    }
  }

  /** Up to `limit` joined or invited members other than `exclude`, by user ID (a room summary's heroes). */
  async heroes(executor: Executor, roomNid: number, exclude: string, limit: number): Promise<string[]> {
    const rows = await executor
      .selectFrom("room_memberships")
      .select("user_id")
      .where("room_nid", "=", roomNid)
      .where("membership", "in", ["join", "invite"])
      .where("user_id", "!=", exclude)
      .orderBy("user_id")
      .limit(limit)
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** The servers of the room's joined members, ours included when `withLocal` (a room of local users only reads nothing). */
  async joinedServers(executor: Executor, roomNid: number, withLocal = true): Promise<Set<string>> {
    let query = executor.selectFrom("room_memberships").select("user_id").where("room_nid", "=", roomNid).where("membership", "=", "join");
    if (!withLocal) query = query.where("is_local", "=", 0);
    return new Set((await query.execute()).map((r) => domainOfId(r.user_id)));
  }
}
