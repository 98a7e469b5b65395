/**
 * The persistence pipeline (ARCHITECTURE.md "One sent message", step 4): one database transaction
 * writes the event, its edges, its state snapshot, the new forward extremities, the current-state
 * delta and membership, its stream position, the transaction ID and whatever the persist hooks add
 * (push actions, search index, federation outbox). After the commit the caches are updated and the
 * notifier wakes the waiters. Callers hold the room's linearizer.
 */
import { canonicalJson } from "../../protocol/canonical-json.js";
import { splitStateKey, stateKey, withoutUnsigned, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { isJsonObject } from "../../protocol/json.js";
import type { Db, Tx } from "../../storage/db.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { SnapshotRef, StateStore } from "../../storage/state-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Clock } from "../clock.js";
import { advanceHead, type CurrentStateCache, type RoomHead } from "./current-state.js";
import type { RoomStore } from "../../storage/room-store.js";
import { relationOf } from "./room-event-view.js";

export interface PersistRequest {
  head: RoomHead;
  pdu: Pdu;
  event: RoomEvent;
  /** Canonical JSON of the PDU without `unsigned`, when the builder has it already (see EventBuilder). */
  json?: string;
  /** The state before the event and a snapshot holding it (null: make one if the state is not empty). */
  stateBefore: ReadonlyMap<StateKey, string>;
  snapshotBefore: SnapshotRef | null;
  /** Local send: remember the transaction ID for idempotent retries and unsigned.transaction_id. */
  txn?: { userId: string; deviceId: string; txnId: string };
  /** The thread this event belongs to (its root), when not the main timeline. */
  threadId?: string | null;
  /**
   * Built by this server just now: its ID (a hash of the new event) cannot be named by anything stored
   * before, so hooks skip looking for what targeted it earlier (a redaction that came first).
   */
  createdHere?: boolean;
  /**
   * For events from other servers: how the event enters the room. Absent: accepted. A soft-failed
   * event is stored with its state but hidden from clients, not a forward extremity and not part of
   * the current state; a rejected one is stored (so that it is not fetched again and its children
   * can be placed) but changes no state at all.
   */
  status?: { softFailed: true } | { rejected: string };
  /**
   * The room's current state after an accepted event on a fork (resolved by the caller); without
   * it the current state is the state before plus the event.
   */
  currentState?: ReadonlyMap<StateKey, string>;
}

export interface PersistedEvent {
  stored: StoredEvent;
  streamOrdering: number;
  head: RoomHead;
  /** The event that this one replaced in the state, if it is a state event. */
  prevStateEventId: string | undefined;
}

/** What persist hooks see: enough to index, count and route the event without reading it back. */
export interface PersistContext {
  readonly tx: Tx;
  readonly head: RoomHead;
  readonly event: RoomEvent;
  readonly pdu: Pdu;
  readonly eventNid: number;
  readonly streamOrdering: number;
  readonly stateBefore: ReadonlyMap<StateKey, string>;
  readonly stateAfter: ReadonlyMap<StateKey, string>;
  readonly threadId: string | null;
  /** The current state was merged by state resolution (an event on a fork): any key may have changed. */
  readonly currentStateResolved?: boolean;
  /** See PersistRequest.createdHere. */
  readonly createdHere: boolean;
  /** Run after the commit (to notify others). */
  readonly afterCommit: (hook: () => void) => void;
}

export type PersistHook = (context: PersistContext) => Promise<void>;

export class EventPersister {
  private readonly hooks: PersistHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly rooms: RoomStore,
    private readonly eventStream: StreamIdGenerator,
    private readonly cache: CurrentStateCache,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** Adds work done in the same transaction for every persisted event. */
  addHook(hook: PersistHook): void {
    this.hooks.push(hook);
  }

  /** Callbacks just scheduled with setImmediate will persist events (see Db.expectTransactions). */
  expectPersists(): void {
    this.db.expectTransactions();
  }

  /** Persists one event in its own transaction. */
  async persist(request: PersistRequest): Promise<PersistedEvent> {
    let persisted: PersistedEvent | undefined;
    await this.db.transaction(async (tx) => {
      persisted = await this.persistInTx(tx, request);
    });
    return persisted as PersistedEvent;
  }

  /**
   * Persists a linear chain of local events in one transaction (a new room's initial events, messages
   * that queued for their room's writer together): each
   * event's state before is the state after the previous one. With `newRoom`, the room row is
   * created in the same transaction, so a room exists with all of its initial state or not at all.
   */
  async persistChain(
    head: RoomHead,
    events: readonly { pdu: Pdu; event: RoomEvent; json?: string; txn?: PersistRequest["txn"]; threadId?: PersistRequest["threadId"] }[],
    options: { newRoom?: boolean } = {},
  ): Promise<PersistedEvent[]> {
    const out: PersistedEvent[] = [];
    await this.db.transaction(async (tx) => {
      let current = head;
      let roomNid = head.room.roomNid;
      if (options.newRoom) roomNid = await this.rooms.insertRoom(tx.db, head.room.roomId, head.version.id, this.clock.now());
      current = { ...current, room: { ...current.room, roomNid } };
      for (const item of events) {
        const persisted = await this.persistInTx(tx, {
          head: current,
          pdu: item.pdu,
          event: item.event,
          ...(item.json !== undefined ? { json: item.json } : {}),
          stateBefore: current.state,
          snapshotBefore: current.snapshot,
          ...(item.txn ? { txn: item.txn } : {}),
          ...(item.threadId !== undefined ? { threadId: item.threadId } : {}),
          createdHere: true,
        });
        out.push(persisted);
        current = persisted.head;
      }
    });
    return out;
  }

  /** Persists one event inside the caller's transaction (a federated join writes the room's state with it). */
  persistInTransaction(tx: Tx, request: PersistRequest): Promise<PersistedEvent> {
    return this.persistInTx(tx, request);
  }

  private async persistInTx(tx: Tx, request: PersistRequest): Promise<PersistedEvent> {
    const { head, pdu, event } = request;
    const isState = typeof event.state_key === "string";
    const key = isState ? stateKey(event.type, event.state_key as string) : undefined;
    const prevStateEventId = key !== undefined ? request.stateBefore.get(key) : undefined;
    const storedPdu = withoutUnsigned(pdu) as Pdu;
    const json = request.json ?? canonicalJson(storedPdu as never, { lenient: !head.version.strictCanonicalJson });
    const now = this.clock.now();
    const relation = relationOf(event.content);
    const threadId = request.threadId ?? null;
    const roomNid = head.room.roomNid;

    const streamOrdering = this.eventStream.allocate(tx);
    const others = event.prev_events.concat(event.auth_events);
    if (prevStateEventId) others.push(prevStateEventId);
    const nids = request.createdHere ? await this.events.internNewEventIds(tx, event.event_id, others) : await this.events.internEventIds(tx, [event.event_id, ...others]);
    const eventNid = nids.get(event.event_id) as number;
    const prevStateEventNid = prevStateEventId ? (nids.get(prevStateEventId) ?? null) : null;

    let snapshotBefore = request.snapshotBefore;
    if (snapshotBefore === null && request.stateBefore.size > 0) {
      snapshotBefore = await this.snapshotOfState(tx, roomNid, request.stateBefore);
    }
    const rejectedReason = request.status && "rejected" in request.status ? request.status.rejected : null;
    const softFailed = request.status !== undefined && "softFailed" in request.status;
    const accepted = request.status === undefined;
    let snapshotAfter = snapshotBefore;
    let stateKeyNid: number | null = null;
    if (key !== undefined && rejectedReason === null) {
      stateKeyNid = (await this.states.internStateKeys(tx, [key])).get(key) as number;
      snapshotAfter = await this.states.createSnapshot(tx, roomNid, snapshotBefore, new Map([[stateKeyNid, eventNid]]));
    }

    await this.events.insertEvent(tx.db, {
      nid: eventNid,
      roomNid,
      streamOrdering,
      depth: Number(pdu.depth),
      type: event.type,
      stateKeyNid,
      sender: event.sender,
      originServerTs: event.origin_server_ts,
      receivedTs: now,
      json,
      outlier: false,
      rejectedReason,
      softFailed,
      stateSnapshotNid: snapshotAfter?.nid ?? null,
      prevStateEventNid,
      relatesToId: relation?.eventId ?? null,
      relType: relation?.relType ?? null,
      threadId,
    });
    const prevNids = event.prev_events.map((id) => nids.get(id) as number);
    await this.events.insertEdges(tx.db, eventNid, prevNids, event.auth_events.map((id) => nids.get(id) as number));
    if (!accepted) return this.storeHidden(tx, request, { eventNid, streamOrdering, snapshotAfter, prevStateEventNid, prevStateEventId, rejectedReason, softFailed, now, storedPdu });
    await this.events.updateForwardExtremities(tx.db, roomNid, prevNids, [eventNid]);

    let memberUserIds: string[] = event.type === "m.room.member" && event.state_key ? [event.state_key] : [];
    if (request.currentState !== undefined) {
      memberUserIds = await this.applyResolvedState(tx, head, request.currentState, event, eventNid, streamOrdering);
    } else if (key !== undefined && stateKeyNid !== null) {
      await this.states.updateCurrentState(tx, roomNid, [{ stateKeyNid, eventNid, prevEventNid: prevStateEventNid }], streamOrdering);
      if (event.type === "m.room.member") {
        const membership = event.content["membership"];
        await this.states.upsertMembership(tx, {
          roomNid,
          userId: event.state_key as string,
          membership: typeof membership === "string" ? membership : "leave",
          eventNid,
          streamOrdering,
          sender: event.sender,
          isLocal: (event.state_key as string).endsWith(`:${this.serverName}`),
        });
      }
    }
    if (request.txn) await this.events.insertTxn(tx.db, roomNid, request.txn.userId, request.txn.deviceId, request.txn.txnId, eventNid, now);

    const advanced = advanceHead(head, event, Number(pdu.depth));
    const newHead: RoomHead =
      request.currentState !== undefined ? { ...advanced, state: request.currentState, snapshot: null } : { ...advanced, snapshot: snapshotAfter };
    const stateAfter = newHead.state;
    const afterCommit: (() => void)[] = [];
    // One context for every hook (they only read it): a dozen hooks run for every event.
    const context: PersistContext = {
      tx,
      head: newHead,
      event,
      pdu,
      eventNid,
      streamOrdering,
      stateBefore: request.stateBefore,
      stateAfter,
      threadId,
      currentStateResolved: request.currentState !== undefined,
      createdHere: request.createdHere === true,
      afterCommit: (h) => afterCommit.push(h),
    };
    for (const hook of this.hooks) await hook(context);
    const stored: StoredEvent = {
      nid: eventNid,
      eventId: event.event_id,
      roomNid,
      pdu: storedPdu,
      streamOrdering,
      depth: Number(pdu.depth),
      outlier: false,
      rejectedReason: null,
      softFailed: false,
      stateSnapshotNid: snapshotAfter?.nid ?? null,
      prevStateEventNid,
      redactedByNid: null,
      receivedTs: now,
    };
    tx.onCommit(() => {
      this.events.cacheEvent(stored);
      this.cache.set(newHead);
      for (const hook of afterCommit) hook();
      this.notifier.notify({ stream: "events", position: this.eventStream.current, roomIds: [event.room_id], userIds: memberUserIds });
    });
    return { stored, streamOrdering, head: newHead, prevStateEventId };
  }

  /**
   * A soft-failed or rejected event: stored in the graph with its state, nothing else changes (no
   * extremity, no current state, no hooks: clients and other servers never hear of it from us).
   */
  private storeHidden(
    tx: Tx,
    request: PersistRequest,
    written: { eventNid: number; streamOrdering: number; snapshotAfter: SnapshotRef | null; prevStateEventNid: number | null; prevStateEventId: string | undefined; rejectedReason: string | null; softFailed: boolean; now: number; storedPdu: Pdu },
  ): PersistedEvent {
    const stored: StoredEvent = {
      nid: written.eventNid,
      eventId: request.event.event_id,
      roomNid: request.head.room.roomNid,
      pdu: written.storedPdu,
      streamOrdering: written.streamOrdering,
      depth: Number(request.pdu.depth),
      outlier: false,
      rejectedReason: written.rejectedReason,
      softFailed: written.softFailed,
      stateSnapshotNid: written.snapshotAfter?.nid ?? null,
      prevStateEventNid: written.prevStateEventNid,
      redactedByNid: null,
      receivedTs: written.now,
    };
    tx.onCommit(() => this.events.cacheEvent(stored));
    return { stored, streamOrdering: written.streamOrdering, head: request.head, prevStateEventId: written.prevStateEventId };
  }

  /**
   * Writes the difference between the room's current state and `resolved` (state resolution after
   * an event on a fork may change keys other than the event's own, or keep the event out); returns
   * the users whose membership changed.
   */
  private async applyResolvedState(tx: Tx, head: RoomHead, resolved: ReadonlyMap<StateKey, string>, event: RoomEvent, eventNid: number, streamOrdering: number): Promise<string[]> {
    const changed: { key: StateKey; id: string | undefined; prevId: string | undefined }[] = [];
    for (const [key, id] of resolved) if (head.state.get(key) !== id) changed.push({ key, id, prevId: head.state.get(key) });
    for (const [key, id] of head.state) if (!resolved.has(key)) changed.push({ key, id: undefined, prevId: id });
    if (changed.length === 0) return [];
    const keyNids = await this.states.internStateKeys(tx, changed.map((c) => c.key));
    const eventNids = await this.events.internEventIds(tx, changed.flatMap((c) => [c.id, c.prevId]).filter((id): id is string => id !== undefined));
    await this.states.updateCurrentState(
      tx,
      head.room.roomNid,
      changed.map((c) => ({
        stateKeyNid: keyNids.get(c.key) as number,
        eventNid: c.id === undefined ? null : (eventNids.get(c.id) as number),
        prevEventNid: c.prevId === undefined ? null : (eventNids.get(c.prevId) as number),
      })),
      streamOrdering,
    );
    const memberChanges = changed.filter((c) => splitStateKey(c.key)[0] === "m.room.member" && c.id !== undefined);
    const others = await this.events.getByIds(
      memberChanges.map((c) => c.id as string).filter((id) => id !== event.event_id),
      tx.db,
    );
    for (const change of memberChanges) {
      const member = change.id === event.event_id ? event : others.get(change.id as string)?.pdu;
      if (!member || typeof member.state_key !== "string") continue;
      const membership = isJsonObject(member.content) ? member.content["membership"] : undefined;
      await this.states.upsertMembership(tx, {
        roomNid: head.room.roomNid,
        userId: member.state_key,
        membership: typeof membership === "string" ? membership : "leave",
        eventNid: change.id === event.event_id ? eventNid : (eventNids.get(change.id as string) as number),
        streamOrdering,
        sender: member.sender as string,
        isLocal: member.state_key.endsWith(`:${this.serverName}`),
      });
    }
    return memberChanges.map((c) => splitStateKey(c.key)[1]);
  }

  /** A snapshot for a state map that has none yet (several extremities resolved together). */
  private async snapshotOfState(tx: Tx, roomNid: number, state: ReadonlyMap<StateKey, string>): Promise<SnapshotRef> {
    const keyNids = await this.states.internStateKeys(tx, [...state.keys()]);
    const eventNids = await this.events.internEventIds(tx, [...state.values()]);
    const nidState = new Map<number, number>();
    for (const [key, id] of state) nidState.set(keyNids.get(key) as number, eventNids.get(id) as number);
    return this.states.createSnapshotFromState(tx, roomNid, null, nidState);
  }
}

