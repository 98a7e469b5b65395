/**
 * GET /sync: initial and incremental syncs, long-polling on the notifier until something concerns the
 * user or the timeout passes. A response is computed from storage up to the positions the notifier
 * reports complete, so a token never skips an event that was still being written.
 */
import type { Cancellation, Notifier, StreamPositions } from "../../notifier/notifier.js";
import type { EventStore } from "../../storage/event-store.js";
import type { MembershipRecord, RoomStore } from "../../storage/room-store.js";
import type { SyncStore } from "../../storage/sync-store.js";
import type { Requester } from "../accounts/requester.js";
import type { SyncFilter } from "./filter.js";
import { roomMatchesFilter } from "./filter.js";
import { SHARED_CHANGE_SCAN_MAX, type PositionMemo } from "./position-memo.js";
import { ConcurrencyLimiter } from "../concurrency-limiter.js";
import { SyncMemberships } from "./sync-memberships.js";
import type { SyncRooms } from "./sync-rooms.js";
import { emptyResponse, hasUpdates, type SyncContext, type SyncContributor, type SyncResponse } from "./sync-types.js";
import { clampToNow, decodeSyncToken, encodeSyncToken, samePositions } from "./tokens.js";

export interface SyncRequest {
  since?: string | undefined;
  timeoutMs: number;
  fullState: boolean;
  filter: SyncFilter;
  setPresence?: string | undefined;
}

/** Rooms of one response computed concurrently. */
const ROOMS_AT_ONCE = 50;


type RoomEntry = { [K in keyof SyncResponse["rooms"]]: { section: K; roomId: string; entry: SyncResponse["rooms"][K][string] } }[keyof SyncResponse["rooms"]];

/** Each hook's contributors, in the order they were added. */
type ContributorHooks = { [K in keyof SyncContributor]-?: SyncContributor[] };

export class SyncService {
  /**
   * Contributors by the hooks they have: a woken long-poll passes through every hook a few times, and
   * awaiting the contributors that lack one still costs a suspension and a promise each (ten
   * contributors, ~50 such awaits per answer).
   */
  private readonly hooks: ContributorHooks = { begin: [], global: [], joinedRoom: [], roomsWithChanges: [], onSyncRequest: [], afterSyncRequest: [] };
  private readonly memberships: SyncMemberships;
  private readonly incremental: ConcurrencyLimiter;

  constructor(
    private readonly notifier: Notifier,
    rooms: RoomStore,
    private readonly syncRooms: SyncRooms,
    private readonly events: EventStore,
    private readonly syncStore: SyncStore,
    private readonly memo: PositionMemo,
    /**
     * Incremental answers computed at once. One event wakes the long-polls of all its room's members;
     * computed all together, their storage reads interleave and every answer is ready only when nearly
     * all are. A few at a time, in the order woken, the first members get theirs after a fraction of
     * that time while storage waits still overlap (measured best: 4 on SQLite, the pool's size on
     * PostgreSQL; bench/sync.bench.ts).
     */
    incrementalAtOnce: number,
  ) {
    this.memberships = new SyncMemberships(rooms, notifier);
    this.incremental = new ConcurrencyLimiter(incrementalAtOnce);
  }

  addContributor(contributor: SyncContributor): void {
    for (const hook of Object.keys(this.hooks) as (keyof SyncContributor)[]) {
      if (contributor[hook] !== undefined) this.hooks[hook].push(contributor);
    }
  }

  async sync(requester: Requester, request: SyncRequest, signal: Cancellation): Promise<SyncResponse> {
    for (const c of this.hooks.onSyncRequest) await c.onSyncRequest?.(requester, request.setPresence);
    // Chained rather than awaited in a try/finally: a long-poll then holds no suspended frame of this
    // function while it waits (thousands wait at once).
    return this.syncOnce(requester, request, signal).finally(() => this.afterSync(requester, request.setPresence));
  }

  private async afterSync(requester: Requester, setPresence: string | undefined): Promise<void> {
    for (const c of this.hooks.afterSyncRequest) await c.afterSyncRequest?.(requester, setPresence);
  }

  private async syncOnce(requester: Requester, request: SyncRequest, signal: Cancellation): Promise<SyncResponse> {
    const since = request.since !== undefined ? clampToNow(decodeSyncToken(request.since), this.notifier.positions()) : undefined;
    const deadline = Date.now() + request.timeoutMs;
    // A long-poll from the newest positions (a client polling again right after an answer, the usual
    // case) would compute an empty answer: every part of a response is a range from the token to now.
    // It waits at once, which halves the work of a wake-up that reaches many members.
    let waitFrom = since && !request.fullState && request.timeoutMs > 0 && samePositions(since, this.notifier.positions()) ? since : undefined;
    let remaining = request.timeoutMs;
    for (;;) {
      if (!waitFrom) {
        const step = await this.answerOrWait(requester, since, request, deadline, signal);
        if ("response" in step) return step.response;
        waitFrom = step.from;
        remaining = step.remaining;
      }
      // Only the positions are held while waiting, not the empty answer (thousands of idle long-polls):
      // once the wait ends the answer is computed again, from the newer positions.
      const joined = (await this.memberships.of(requester.userId)).filter((m) => m.membership === "join").map((m) => m.roomId);
      // Anything notified after `waitFrom` wakes us; re-check first in case it happened while computing.
      if (samePositions(this.notifier.positions(), waitFrom) && !signal.aborted) {
        await this.notifier.wait(requester.userId, joined, remaining, signal);
      }
      waitFrom = undefined;
    }
  }

  /** The answer if there is news (or no waiting is wanted, or time is up); else how long to wait from which positions. */
  private async answerOrWait(
    requester: Requester,
    since: StreamPositions | undefined,
    request: SyncRequest,
    deadline: number,
    signal: Cancellation,
  ): Promise<{ response: SyncResponse } | { from: StreamPositions; remaining: number }> {
    // The positions are read when the computation starts (after any wait for a turn), so that it
    // includes what was written meanwhile.
    const compute = async (): Promise<{ now: StreamPositions; response: SyncResponse }> => {
      const now = this.notifier.positions();
      return { now, response: await this.compute(requester, since, now, request) };
    };
    const { now, response } = since ? await this.incremental.run(compute) : await compute();
    if (!since || request.fullState || hasUpdates(response)) return { response };
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal.aborted) return { response };
    return { from: now, remaining };
  }

  private async compute(requester: Requester, since: StreamPositions | undefined, now: StreamPositions, request: SyncRequest): Promise<SyncResponse> {
    const response = emptyResponse(encodeSyncToken(now));
    const memberships = await this.memberships.of(requester.userId);
    const roomFilter = request.filter.room;
    const joinedRoomIds = memberships.filter((m) => m.membership === "join").map((m) => m.roomId);
    const context: SyncContext = { requester, since, now, filter: request.filter, fullState: request.fullState, joinedRoomIds, memberships, heldBack: {} };
    for (const c of this.hooks.begin) c.begin?.(context);
    await this.syncRooms.beginResponse(context);

    const forced = new Set<string>();
    if (since) for (const c of this.hooks.roomsWithChanges) for (const roomId of (await c.roomsWithChanges?.(context)) ?? []) forced.add(roomId);
    // An incremental sync reads only the rooms that have new events (or something forced above).
    const withEvents = since && !request.fullState ? await this.roomsWithEvents(memberships, since.events, now.events) : undefined;

    // Rooms are computed a batch at a time, concurrently: storage waits overlap, and reads that batch
    // themselves (transaction IDs) see many rooms at once. Entries keep the memberships' order.
    const tasks: (() => Promise<RoomEntry | undefined>)[] = [];
    for (const membership of memberships) {
      if (!roomMatchesFilter(roomFilter, membership.roomId)) continue;
      const changedSince = since === undefined || membership.streamOrdering > since.events;
      if (membership.streamOrdering > now.events) continue; // written after `now`: the next sync has it
      const roomId = membership.roomId;
      switch (membership.membership) {
        case "join": {
          const force = forced.has(roomId);
          // Without new events, a room is in an incremental response only if newly joined or forced.
          if (withEvents && !changedSince && !force && !withEvents.has(membership.roomNid)) break;
          tasks.push(async () => {
            const room = await this.syncRooms.joinedRoom(context, membership, force);
            if (!room) return undefined;
            for (const c of this.hooks.joinedRoom) await c.joinedRoom?.(context, roomId, room);
            return { section: "join", roomId, entry: room };
          });
          break;
        }
        case "invite":
          if (changedSince) tasks.push(async () => ({ section: "invite", roomId, entry: { invite_state: { events: await this.syncRooms.strippedState(context, membership) } } }));
          break;
        case "knock":
          if (changedSince) tasks.push(async () => ({ section: "knock", roomId, entry: { knock_state: { events: await this.syncRooms.strippedState(context, membership) } } }));
          break;
        case "leave":
        case "ban": {
          if (membership.forgotten) break;
          const wanted = since ? changedSince : (roomFilter?.include_leave ?? false);
          if (wanted) tasks.push(async () => ({ section: "leave", roomId, entry: await this.syncRooms.leftRoom(context, membership) }));
          break;
        }
      }
    }
    for (let i = 0; i < tasks.length; i += ROOMS_AT_ONCE) {
      for (const result of await Promise.all(tasks.slice(i, i + ROOMS_AT_ONCE).map((task) => task()))) {
        if (result) (response.rooms[result.section] as Record<string, unknown>)[result.roomId] = result.entry;
      }
    }
    for (const c of this.hooks.global) await c.global?.(context, response);
    if (Object.keys(context.heldBack).length > 0) response.next_batch = encodeSyncToken({ ...now, ...context.heldBack });
    return response;
  }

  /** Which of the user's joined rooms have events in (after, upTo]. */
  private async roomsWithEvents(memberships: readonly MembershipRecord[], after: number, upTo: number): Promise<ReadonlySet<number>> {
    if (after >= upTo) return new Set();
    if (upTo - after <= SHARED_CHANGE_SCAN_MAX) {
      // Everyone syncing from the same token asks the same: one scan of the range serves them all.
      return this.memo.get(`rooms-with-events:${after}:${upTo}`, () => this.syncStore.roomsWithEventsBetween(after, upTo));
    }
    const joined = memberships.filter((m) => m.membership === "join").map((m) => m.roomNid);
    return joined.length === 0 ? new Set() : this.events.roomsWithEventsBetween(joined, after, upTo);
  }
}

