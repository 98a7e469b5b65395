/**
 * Completing a room joined with partial state (send_join with `omit_members`, MSC3706/MSC3902): the
 * join returned the room's state without its member events, so local users could send and receive at
 * once; here, in the background, the full state before our join is fetched (`GET /state` at the join
 * event from the servers that were in the room, partial-state-fetch.ts), and merged in one transaction: the missing events stored, the members added to
 * the current state and memberships, and the state snapshots of every event persisted since the join
 * rewritten on top of the full state. Failed attempts are retried with a capped backoff, also after a
 * restart (the room stays marked partial until it is complete).
 */
import type { Logger } from "../../logger.js";
import { splitStateKey, type StateKey } from "../../protocol/event.js";
import type { Db, Tx } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { PartialStateRoom, PartialStateStore } from "../../storage/partial-state-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { SnapshotRef, StateStore } from "../../storage/state-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { EventChecker } from "./event-checks.js";
import { fetchStateBeforeJoin, type FullState, type StateFetchSource } from "./partial-state-fetch.js";

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;

export class PartialStateCompleter {
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;
  /** Counters for operators (and tests): rooms completed, attempts that failed. */
  readonly stats = { completed: 0, failedAttempts: 0 };

  constructor(
    private readonly db: Db,
    private readonly rooms: RoomStore,
    private readonly store: PartialStateStore,
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly heads: CurrentStateCache,
    private readonly linearizer: RoomLinearizer,
    private readonly eventStream: StreamIdGenerator,
    private readonly notifier: Notifier,
    private readonly source: StateFetchSource,
    private readonly checker: EventChecker,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly serverName: string,
  ) {}

  /** Starts completing the room in the background (once). */
  start(roomId: string): void {
    if (this.closed || this.running.has(roomId)) return;
    const run = this.complete(roomId)
      .catch((error: unknown) => this.log.warn({ roomId, error: (error as Error).message }, "completing a partial-state room failed"))
      .finally(() => this.running.delete(roomId));
    this.running.set(roomId, run);
  }

  /** Resumes every room left partial by an earlier run. */
  async resumeAll(): Promise<void> {
    for (const partial of await this.store.all(this.db.kysely)) {
      const room = await this.rooms.getByNid(partial.roomNid);
      if (room) this.start(room.roomId);
    }
  }

  /** Resolves once the room's completion (if one runs) has ended, or after `timeoutMs`. */
  async settled(roomId: string, timeoutMs = 60_000): Promise<void> {
    const running = this.running.get(roomId);
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  close(): void {
    this.closed = true;
  }

  private async complete(roomId: string): Promise<void> {
    for (let delay = FIRST_RETRY_MS; !this.closed; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      const head = await this.heads.find(roomId);
      const partial = head ? await this.store.get(this.db.kysely, head.room.roomNid) : undefined;
      if (!head || !partial) return;
      for (const server of partial.servers.filter((s) => s !== this.serverName)) {
        try {
          const full = await fetchStateBeforeJoin(this.source, this.checker, this.events, this.log, server, head, partial.joinEventId);
          const started = this.clock.now();
          await this.merge(roomId, partial, full);
          this.stats.completed++;
          this.log.info({ roomId, server, stateEvents: full.state.size, mergeMs: this.clock.now() - started }, "partial-state room completed");
          return;
        } catch (error) {
          this.stats.failedAttempts++;
          this.log.info({ roomId, server, error: (error as Error).message }, "full state not fetched from this server");
        }
        if (this.closed) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  /** Under the room's linearizer, in one transaction; the head is reloaded after. */
  private async merge(roomId: string, partial: PartialStateRoom, full: FullState): Promise<void> {
    await this.linearizer.run(roomId, async () => {
      const head = await this.heads.head(roomId);
      if (!head.room.partialState) return;
      const join = await this.events.getById(partial.joinEventId);
      if (!join || join.streamOrdering === null || join.stateSnapshotNid === null) throw new Error("our join event is not stored with its state");
      const rewritten: number[] = [];
      let locals: string[] = [];
      await this.db.transaction(async (tx) => {
        const streamOrdering = this.eventStream.allocate(tx);
        const outliers = [...full.events.values()].map(({ pdu, event }) => ({ eventId: event.event_id, pdu, prevEvents: event.prev_events, authEvents: event.auth_events }));
        await this.federatedRooms.insertOutliers(tx, head.room.roomNid, outliers, !head.version.strictCanonicalJson, this.clock.now());
        await this.addMissingState(tx, head, full, streamOrdering);
        // Our users' clients get the room again in full on their next /sync (the state deltas alone
        // would reach them only with new events).
        locals = await this.rooms.restampLocalMembers(tx, head.room.roomNid, streamOrdering);
        rewritten.push(...(await this.rewriteSnapshots(tx, head, join.streamOrdering as number, join.stateSnapshotNid as number, full.state)));
        await this.rooms.setPartialState(tx, head.room.roomNid, false);
        await this.store.remove(tx, head.room.roomNid);
      });
      for (const nid of rewritten) this.events.uncacheEvent(nid);
      this.heads.invalidate(roomId);
      this.notifier.notify({ stream: "events", position: this.eventStream.current, roomIds: [roomId], userIds: locals });
    });
  }

  /**
   * The keys of the full state that our partial current state lacks (the omitted members) join the
   * current state and the memberships; every key we hold stays as it is (it is as recent or newer).
   */
  private async addMissingState(tx: Tx, head: RoomHead, full: FullState, streamOrdering: number): Promise<void> {
    const added = [...full.state].filter(([key]) => !head.state.has(key));
    if (added.length === 0) return;
    const keyNids = await this.states.internStateKeys(tx, added.map(([key]) => key));
    const eventNids = await this.events.internEventIds(tx, added.map(([, id]) => id));
    await this.states.updateCurrentState(
      tx,
      head.room.roomNid,
      added.map(([key, id]) => ({ stateKeyNid: keyNids.get(key) as number, eventNid: eventNids.get(id) as number, prevEventNid: null })),
      streamOrdering,
    );
    for (const [key, id] of added) {
      if (splitStateKey(key)[0] !== "m.room.member") continue;
      const member = full.events.get(id)?.event;
      if (!member || typeof member.state_key !== "string") continue;
      const membership = member.content["membership"];
      await this.states.upsertMembership(tx, {
        roomNid: head.room.roomNid,
        userId: member.state_key,
        membership: typeof membership === "string" ? membership : "leave",
        eventNid: eventNids.get(id) as number,
        streamOrdering,
        sender: member.sender,
        isLocal: member.state_key.endsWith(`:${this.serverName}`),
      });
    }
  }

  /**
   * Every event since our join holds a snapshot of the partial state; each gets one of the full state
   * before the join overlaid with what its partial snapshot says (which only adds to or changes the
   * keys the join's own snapshot had). Events sharing a snapshot share the new one. Returns the
   * rewritten events.
   */
  private async rewriteSnapshots(tx: Tx, head: RoomHead, joinStreamOrdering: number, joinSnapshotNid: number, fullBefore: ReadonlyMap<StateKey, string>): Promise<number[]> {
    const joinPartial = await this.states.loadSnapshot(joinSnapshotNid, tx.db);
    const keyNids = await this.states.internStateKeys(tx, [...fullBefore.keys()]);
    const eventNids = await this.events.internEventIds(tx, [...fullBefore.values()]);
    const base = new Map<number, number>();
    for (const [key, id] of fullBefore) base.set(keyNids.get(key) as number, eventNids.get(id) as number);
    for (const [keyNid, eventNid] of joinPartial) base.set(keyNid, eventNid);
    const baseRef: SnapshotRef = await this.states.createSnapshotFromState(tx, head.room.roomNid, null, base);
    const replaced = new Map<number, number>([[joinSnapshotNid, baseRef.nid]]);
    const rows = await this.store.eventsSince(tx.db, head.room.roomNid, joinStreamOrdering);
    for (const row of rows) {
      if (row.snapshotNid === null) continue;
      let next = replaced.get(row.snapshotNid);
      if (next === undefined) {
        const partialState = await this.states.loadSnapshot(row.snapshotNid, tx.db);
        const changes = new Map<number, number>();
        for (const [keyNid, eventNid] of partialState) if (joinPartial.get(keyNid) !== eventNid) changes.set(keyNid, eventNid);
        next = (await this.states.createSnapshot(tx, head.room.roomNid, baseRef, changes)).nid;
        replaced.set(row.snapshotNid, next);
      }
      await this.store.setSnapshot(tx, row.eventNid, next);
    }
    return rows.map((r) => r.eventNid);
  }
}
