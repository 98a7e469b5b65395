/**
 * Stores events fetched with /backfill as timeline events at their place in history, oldest first:
 * each gets the state before it (from its prev events when we hold them, otherwise the sending
 * server's /state_ids, whose events are fetched and checked), passes the auth rules against its auth
 * events and against that state, and is written with a negative stream ordering (backfill-store.ts).
 * An event we held as an outlier (a joined room's state) becomes a timeline event. Nothing here
 * touches the current state, the forward extremities or the notifier: backfilled events are old
 * history, never news for /sync. Events that fail a check are not stored (Synapse stores them as
 * rejected; with nothing stored, a later pagination may fetch them again, which changes nothing).
 */
import { canonicalJson } from "../../protocol/canonical-json.js";
import { stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import type { Logger } from "../../logger.js";
import type { BackfillStore } from "../../storage/backfill-store.js";
import type { Db, Tx } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { SnapshotRef, StateStore } from "../../storage/state-store.js";
import type { Clock } from "../clock.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { PersistContext, PersistHook } from "../rooms/event-persister.js";
import { redactionHook } from "../rooms/redaction-hook.js";
import { relationOf } from "../rooms/room-event-view.js";
import { authByAuthEvents, authByState, authEventIdsNeeded, stateIdsNeeded, storedLookup } from "./event-checks-auth.js";
import type { StateBeforeResolver } from "./inbound-pdu-state.js";
import type { OutlierFetcher } from "./outlier-fetcher.js";
import type { RemoteStateBefore } from "./remote-state-before.js";
import type { CheckedEvent } from "./remote-history.js";

interface StateBefore {
  state: ReadonlyMap<StateKey, string>;
  snapshot: SnapshotRef | null;
}

export class BackfillPersister {
  /** Backfills of every room take their stream orderings one batch at a time (see `persist`). */
  private writing: Promise<unknown> = Promise.resolve();
  private readonly applyRedactions;
  /** Work done for backfilled events in their transaction beside redactions (the search index). */
  private readonly hooks: PersistHook[] = [];

  /** Adds work for each backfilled event, run after the redactions in the event's transaction. */
  addHook(hook: PersistHook): void {
    this.hooks.push(hook);
  }

  constructor(
    private readonly db: Db,
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly store: BackfillStore,
    private readonly resolver: StateBeforeResolver,
    private readonly outliers: OutlierFetcher,
    private readonly remoteState: RemoteStateBefore,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.applyRedactions = redactionHook(events);
  }

  /** Stores the new events of a /backfill answer from `destination`; how many were stored. */
  async persist(destination: string, head: RoomHead, batch: readonly CheckedEvent[]): Promise<number> {
    const held = await this.events.getByIds(batch.map((e) => e.event.event_id));
    const fresh = batch.filter((e) => {
      const stored = held.get(e.event.event_id);
      return !stored || (stored.outlier && stored.rejectedReason === null);
    });
    if (fresh.length === 0) return 0;
    fresh.sort((a, b) => (a.event.depth ?? 0) - (b.event.depth ?? 0));
    // The auth events from outside the batch are fetched first; those in it are stored before the
    // events that need them, being older.
    const inBatch = new Set(fresh.map((e) => e.event.event_id));
    const authIds = fresh.flatMap((e) => authEventIdsNeeded(head.version, e.event)).filter((id) => !inBatch.has(id));
    await this.outliers.ensure(destination, head, authIds);
    // One batch at a time in this process, so that the numbers below the lowest stream ordering are
    // ours to hand out: oldest event lowest. (Another process writing at once makes one insert fail on
    // the unique index; that event is fetched again by a later pagination.)
    const run = this.writing.then(() => this.persistInOrder(destination, head, fresh));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async persistInOrder(destination: string, head: RoomHead, fresh: readonly CheckedEvent[]): Promise<number> {
    const lowest = await this.db.transaction((tx) => this.store.lowestStreamOrdering(tx));
    let stored = 0;
    for (const [i, checked] of fresh.entries()) {
      const streamOrdering = lowest - fresh.length + i;
      try {
        if (await this.persistOne(destination, head, checked, streamOrdering)) stored++;
      } catch (error) {
        this.log.warn({ roomId: head.room.roomId, eventId: checked.event.event_id, error: (error as Error).message }, "backfilled event not stored");
      }
    }
    return stored;
  }

  private async persistOne(destination: string, head: RoomHead, { pdu, event }: CheckedEvent, streamOrdering: number): Promise<boolean> {
    const before = await this.stateBefore(destination, head, event);
    if (!before) return false;
    const lookup = await storedLookup(this.events, head.version, [...authEventIdsNeeded(head.version, event), ...stateIdsNeeded(head.version, event, before.state)]);
    const refusal = authByAuthEvents(head.version, event, lookup) ?? authByState(head.version, event, before.state, lookup);
    if (refusal !== undefined) {
      this.log.info({ roomId: head.room.roomId, eventId: event.event_id, reason: refusal }, "backfilled event refused");
      return false;
    }
    const existing = await this.events.getById(event.event_id);
    if (existing && !existing.outlier) return false;
    await this.db.transaction((tx) => this.write(tx, head, pdu, event, before, streamOrdering, existing !== undefined));
    return true;
  }

  /** The state before a backfilled event: from its prev events if we hold them, else from `destination`. */
  private async stateBefore(destination: string, head: RoomHead, event: RoomEvent): Promise<StateBefore | undefined> {
    if (event.prev_events.length === 0) return { state: new Map(), snapshot: null };
    // No forward extremities: the resolver must not take our current state for this old event.
    const local = await this.resolver.stateBefore({ ...head, extremities: [] }, event);
    if (local.ok) return { state: local.state, snapshot: local.snapshot };
    const state = await this.remoteState.stateBefore(destination, head, event.event_id);
    if (!state) return undefined;
    return { state, snapshot: null };
  }

  private async write(tx: Tx, head: RoomHead, pdu: Pdu, event: RoomEvent, before: StateBefore, streamOrdering: number, wasOutlier: boolean): Promise<void> {
    const roomNid = head.room.roomNid;
    const key = typeof event.state_key === "string" ? stateKey(event.type, event.state_key) : undefined;
    const prevStateEventId = key === undefined ? undefined : before.state.get(key);
    const nids = await this.events.internEventIds(tx, [event.event_id, ...event.prev_events, ...event.auth_events, ...(prevStateEventId ? [prevStateEventId] : [])]);
    const eventNid = nids.get(event.event_id) as number;
    let snapshotBefore = before.snapshot;
    if (snapshotBefore === null && before.state.size > 0) {
      const keyNids = await this.states.internStateKeys(tx, [...before.state.keys()]);
      const eventNids = await this.events.internEventIds(tx, [...before.state.values()]);
      const nidState = new Map([...before.state].map(([k, id]) => [keyNids.get(k) as number, eventNids.get(id) as number]));
      snapshotBefore = await this.states.createSnapshotFromState(tx, roomNid, null, nidState);
    }
    let snapshotAfter = snapshotBefore;
    let stateKeyNid: number | null = null;
    if (key !== undefined) {
      stateKeyNid = (await this.states.internStateKeys(tx, [key])).get(key) as number;
      snapshotAfter = await this.states.createSnapshot(tx, roomNid, snapshotBefore, new Map([[stateKeyNid, eventNid]]));
    }
    const relation = relationOf(event.content);
    const row = {
      nid: eventNid,
      streamOrdering,
      stateSnapshotNid: snapshotAfter?.nid ?? null,
      prevStateEventNid: prevStateEventId ? (nids.get(prevStateEventId) ?? null) : null,
      relatesToId: relation?.eventId ?? null,
      relType: relation?.relType ?? null,
    };
    if (!wasOutlier || !(await this.store.promoteOutlier(tx, row))) {
      await this.events.insertEvent(tx.db, {
        ...row,
        roomNid,
        depth: Number(pdu.depth),
        type: event.type,
        stateKeyNid,
        sender: event.sender,
        originServerTs: event.origin_server_ts,
        receivedTs: this.clock.now(),
        json: canonicalJson(pdu as never, { lenient: !head.version.strictCanonicalJson }),
        outlier: false,
        rejectedReason: null,
        softFailed: false,
        threadId: null,
      });
    }
    await this.events.insertEdges(tx.db, eventNid, event.prev_events.map((id) => nids.get(id) as number), event.auth_events.map((id) => nids.get(id) as number));
    const afterCommit: (() => void)[] = [() => this.events.uncacheEvent(eventNid)];
    // Redactions apply to backfilled events as to any other (the redaction may be newer and held already).
    const context: PersistContext = {
      tx,
      head,
      event,
      pdu,
      eventNid,
      createdHere: false,
      streamOrdering,
      stateBefore: before.state,
      stateAfter: before.state,
      threadId: null,
      afterCommit: (hook) => afterCommit.push(hook),
    };
    await this.applyRedactions(context);
    for (const hook of this.hooks) await hook(context);
    tx.onCommit(() => {
      for (const hook of afterCommit) hook();
    });
  }
}
