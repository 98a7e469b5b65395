/**
 * The rooms part of /sync: for each joined room its timeline (with `limited` and `prev_batch`), the
 * state between the previous sync (or nothing) and the timeline's start, and the summary; left rooms
 * up to the leave; invites and knocks with their stripped state.
 */
import { splitStateKey, stateKey } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { MembershipRecord, RoomStore } from "../../storage/room-store.js";
import type { StateStore } from "../../storage/state-store.js";
import type { RoomSummaryCounts, SyncStore } from "../../storage/sync-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { ClientEvent, EventFormatter } from "../rooms/event-formatter.js";
import type { RoomReads } from "../rooms/room-reads.js";
import type { VisibilityService } from "../rooms/visibility.js";
import type { Clock } from "../clock.js";
import { eventMatchesFilter, type RoomEventFilter } from "./filter.js";
import { LazyMembersSent } from "./lazy-members.js";
import type { PositionMemo } from "./position-memo.js";
import { SharedFormatting } from "./shared-formatting.js";
import type { JoinedRoomSync, LeftRoomSync, SyncContext, Timeline } from "./sync-types.js";
import { encodeSyncToken, encodeTopologicalToken } from "./tokens.js";

/** State types shown to invitees and knockers (spec "Stripped state"; Synapse's defaults). */
const STRIPPED_STATE_TYPES = new Set([
  "m.room.create",
  "m.room.join_rules",
  "m.room.canonical_alias",
  "m.room.avatar",
  "m.room.name",
  "m.room.encryption",
  "m.room.topic",
]);

const DEFAULT_TIMELINE_LIMIT = 10;

export class SyncRooms {
  private readonly shared: SharedFormatting;
  private readonly lazyMembers = new LazyMembersSent();
  /** Summaries of all joined rooms, read together once per initial or full-state computation. */
  private readonly summaryBatches = new WeakMap<SyncContext, Promise<Map<number, RoomSummaryCounts>>>();

  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly rooms: RoomStore,
    private readonly cache: CurrentStateCache,
    private readonly reads: RoomReads,
    private readonly formatter: EventFormatter,
    private readonly visibility: VisibilityService,
    private readonly memo: PositionMemo,
    clock: Clock,
    private readonly syncStore: SyncStore,
  ) {
    this.shared = new SharedFormatting(formatter, memo, clock, events, syncStore);
  }

  /**
   * Called once per response before its rooms: an initial sync starts the device's lazy-loading
   * over; an initial or full-state one reads the newest events of all joined rooms together.
   */
  async beginResponse(context: SyncContext): Promise<void> {
    const filter = context.filter.room?.state;
    if (context.since === undefined && filter?.lazy_load_members && !filter.include_redundant_members) {
      this.lazyMembers.reset(context.requester.userId, context.requester.deviceId);
    }
    if (context.since === undefined || context.fullState) await this.prefetchRecentEvents(context);
  }

  /** Fills recentEvents' answers from the start for every joined room (a few queries, not one per room). */
  private async prefetchRecentEvents(context: SyncContext): Promise<void> {
    const limit = timelineLimit(context);
    const upTo = context.now.events;
    const roomNids = context.memberships.filter((m) => m.membership === "join" && m.streamOrdering <= upTo).map((m) => m.roomNid);
    if (limit === 0 || roomNids.length < 2) return;
    const newest = await this.syncStore.newestEventNids(roomNids, upTo, limit + 1);
    const events = await this.events.getByNids([...newest.values()].flat());
    for (const roomNid of roomNids) {
      const fetched = (newest.get(roomNid) ?? []).map((nid) => events.get(nid)).filter((e): e is StoredEvent => e !== undefined);
      const answer = { chronological: fetched.slice(0, limit).reverse(), hasMore: fetched.length > limit };
      void this.memo.get(recentKey(roomNid, 0, upTo, limit), () => Promise.resolve(answer));
    }
  }

  /** A joined room's entry; undefined when an incremental sync has nothing new for it. */
  async joinedRoom(context: SyncContext, membership: MembershipRecord, force: boolean): Promise<JoinedRoomSync | undefined> {
    const since = context.since?.events;
    const newlyJoined = since !== undefined && membership.streamOrdering > since;
    const initial = since === undefined || context.fullState || newlyJoined;
    const timeline = await this.timeline(context, membership, initial ? 0 : (since as number), context.now.events);
    if (!initial && timeline.stored.length === 0 && !force) return undefined;

    const viewer = { userId: context.requester.userId, deviceId: context.requester.deviceId };
    const filter = context.filter.room?.state;
    const lazy = filter?.lazy_load_members ?? false;
    const wantsState = initial || timeline.limited;
    // Lazy-loading: the member events of the timeline's senders, except those whose membership the
    // timeline itself carries first (as Synapse); on an initial sync, the user's own as well.
    const lazySenders = lazy ? timelineSendersNeedingMembers(timeline.stored) : new Set<string>();
    if (lazy && initial) lazySenders.add(context.requester.userId);
    // The whole state at the timeline's start when state is sent; otherwise only the senders' members.
    const atStart = wantsState
      ? await this.stateMapAtTimelineStart(membership.roomNid, timeline.stored)
      : lazySenders.size > 0
        ? await this.membersAtTimelineStart(membership.roomNid, timeline.stored, lazySenders)
        : undefined;
    const stateIds = wantsState && atStart ? await this.stateToSend(membership.roomNid, atStart, timeline.stored, initial ? undefined : since) : new Set<string>();
    if (lazy && atStart) {
      // Of the full state or the delta, member events only for those senders; and the senders'
      // member events at the timeline's start even when unchanged (an incremental sync too), since
      // the client may never have been sent them.
      for (const [key, id] of atStart) {
        if (!stateIds.has(id)) continue;
        const [type, member] = splitStateKey(key);
        if (type === "m.room.member" && !lazySenders.has(member)) stateIds.delete(id);
      }
      for (const sender of lazySenders) {
        const id = atStart.get(stateKey("m.room.member", sender));
        if (id !== undefined) stateIds.add(id);
      }
    }
    let stateEvents = stateIds.size > 0 ? [...(await this.events.getByIds([...stateIds])).values()] : [];
    const dedupe = lazy && !(filter?.include_redundant_members ?? false);
    if (dedupe && context.since !== undefined) {
      stateEvents = stateEvents.filter(
        (e) => e.pdu.type !== "m.room.member" || !this.lazyMembers.alreadySent(viewer.userId, viewer.deviceId, membership.roomId, e.pdu.state_key as string, e.eventId),
      );
    }
    stateEvents = stateEvents.filter((e) => eventMatchesFilter(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content }));
    const stateOut = await this.shared.format(stateEvents, viewer, false);
    if (dedupe) {
      const sent = [...stateEvents, ...timeline.stored].filter((e) => e.pdu.type === "m.room.member").map((e) => [e.pdu.state_key as string, e.eventId] as const);
      this.lazyMembers.record(viewer.userId, viewer.deviceId, membership.roomId, sent);
    }

    const room: JoinedRoomSync = {
      timeline: timeline.timeline,
      state: { events: stateOut },
      ephemeral: { events: [] },
      account_data: { events: [] },
      unread_notifications: {},
      summary: {},
    };
    const membersChanged = stateOut.some((e) => e.type === "m.room.member") || timeline.timeline.events.some((e) => e.type === "m.room.member");
    if (initial || membersChanged) {
      const summary = await this.summary(context, membership.roomNid);
      room.summary = { "m.joined_member_count": summary.joined, "m.invited_member_count": summary.invited, "m.heroes": summary.heroes };
    }
    return room;
  }

  /** A room's summary; on an initial or full-state sync from one read for all the joined rooms. */
  private async summary(context: SyncContext, roomNid: number): Promise<RoomSummaryCounts> {
    const userId = context.requester.userId;
    if (context.since === undefined || context.fullState) {
      let batch = this.summaryBatches.get(context);
      if (!batch) {
        const joined = context.memberships.filter((m) => m.membership === "join").map((m) => m.roomNid);
        batch = this.syncStore.summaries(joined, userId);
        this.summaryBatches.set(context, batch);
      }
      const found = (await batch).get(roomNid);
      if (found) return found;
    }
    return this.rooms.summary(roomNid, userId);
  }

  async leftRoom(context: SyncContext, membership: MembershipRecord): Promise<LeftRoomSync> {
    // History up to and including the leave; state as it was then.
    const since = context.since?.events ?? 0;
    const timeline = await this.timeline(context, membership, since, membership.streamOrdering);
    const wantsState = context.since === undefined || timeline.limited;
    const stateIds = wantsState
      ? await this.stateToSend(membership.roomNid, await this.stateMapAtTimelineStart(membership.roomNid, timeline.stored), timeline.stored, context.since ? since : undefined)
      : new Set<string>();
    const viewer = { userId: context.requester.userId, deviceId: context.requester.deviceId };
    const state = await this.formatter.format([...(await this.events.getByIds([...stateIds])).values()], { viewer, omitRoomId: true, bundle: false });
    return { timeline: timeline.timeline, state: { events: state }, account_data: { events: [] } };
  }

  /** Stripped state for an invite or knock: selected state at the membership event, and the event itself. */
  async strippedState(context: SyncContext, membership: MembershipRecord): Promise<Record<string, unknown>[]> {
    const memberEvent = (await this.events.getByNids([membership.eventNid])).get(membership.eventNid);
    if (!memberEvent) return [];
    const out: Record<string, unknown>[] = [];
    if (memberEvent.stateSnapshotNid !== null) {
      const ids = await this.reads.snapshotAsIds(memberEvent.stateSnapshotNid);
      const wanted = [...ids].filter(([key]) => STRIPPED_STATE_TYPES.has(splitStateKey(key)[0])).map(([, id]) => id);
      for (const e of (await this.events.getByIds(wanted)).values()) {
        out.push({ type: e.pdu.type, state_key: e.pdu.state_key, sender: e.pdu.sender, content: e.pdu.content });
      }
      // The inviter's member event helps clients show who invited.
      const inviterId = ids.get(stateKey("m.room.member", memberEvent.pdu.sender));
      const inviter = inviterId && memberEvent.pdu.sender !== context.requester.userId ? await this.events.getById(inviterId) : undefined;
      if (inviter) out.push({ type: inviter.pdu.type, state_key: inviter.pdu.state_key, sender: inviter.pdu.sender, content: inviter.pdu.content });
    }
    const [formatted] = await this.formatter.format([memberEvent], { viewer: { userId: context.requester.userId }, omitRoomId: true, bundle: false });
    out.push(formatted as ClientEvent as unknown as Record<string, unknown>);
    return out;
  }

  private async timeline(
    context: SyncContext,
    membership: MembershipRecord,
    after: number,
    upTo: number,
  ): Promise<{ timeline: Timeline; stored: StoredEvent[]; limited: boolean }> {
    const filter: RoomEventFilter | undefined = context.filter.room?.timeline;
    const limit = timelineLimit(context);
    const { chronological, hasMore } = await this.recentEvents(membership.roomNid, after, upTo, limit);
    const visible = await this.visibility.filter(context.requester.userId, chronological, membership.membership);
    const stored = visible.filter((e) => eventMatchesFilter(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content }));
    const viewer = { userId: context.requester.userId, deviceId: context.requester.deviceId };
    const events = await this.shared.format(stored, viewer, true);
    const first = chronological[0];
    const prevBatch = first
      ? encodeTopologicalToken({ depth: first.depth, stream: first.streamOrdering as number })
      : encodeSyncToken({ ...context.now, events: upTo });
    return { timeline: { events, limited: hasMore, prev_batch: prevBatch }, stored, limited: hasMore };
  }

  /**
   * A room's newest `limit` events in (after, upTo], oldest first, and whether there were more. Every
   * member woken by the same event asks the same; one read answers them all. Callers must not modify
   * the list.
   */
  private recentEvents(roomNid: number, after: number, upTo: number, limit: number): Promise<{ chronological: readonly StoredEvent[]; hasMore: boolean }> {
    return this.memo.get(recentKey(roomNid, after, upTo, limit), async () => {
      const fetched = limit > 0 ? await this.events.roomEventsByStream(roomNid, after, upTo, limit + 1) : [];
      const hasMore = fetched.length > limit || (limit === 0 && (await this.events.roomEventsByStream(roomNid, after, upTo, 1)).length > 0);
      return { chronological: fetched.slice(0, limit).reverse(), hasMore };
    });
  }

  /** The room's state (key -> event ID) just before the timeline's first event, or now if it is empty. */
  private async stateMapAtTimelineStart(roomNid: number, timeline: readonly StoredEvent[]): Promise<Map<string, string>> {
    const first = timeline[0];
    if (first && first.stateSnapshotNid !== null) {
      const state = new Map(await this.reads.snapshotAsIds(first.stateSnapshotNid));
      if (typeof first.pdu.state_key === "string") {
        // The snapshot is the state after the first event: step back over its own change.
        const key = stateKey(first.pdu.type, first.pdu.state_key);
        const prev = first.prevStateEventNid !== null ? (await this.events.eventIdsOf([first.prevStateEventNid])).get(first.prevStateEventNid) : undefined;
        if (prev) state.set(key, prev);
        else state.delete(key);
      }
      return state;
    }
    const room = await this.rooms.getByNid(roomNid);
    return room ? new Map((await this.cache.head(room.roomId)).state) : new Map();
  }

  /**
   * Only the member events of `members` (state key -> event ID) just before the timeline's first
   * event: what an incremental lazy-loading sync needs, without building a large room's whole state.
   */
  private async membersAtTimelineStart(roomNid: number, timeline: readonly StoredEvent[], members: ReadonlySet<string>): Promise<Map<string, string>> {
    const first = timeline[0];
    const keys = [...members].map((m) => stateKey("m.room.member", m));
    if (!first || first.stateSnapshotNid === null) {
      const whole = await this.stateMapAtTimelineStart(roomNid, timeline);
      return new Map(keys.filter((k) => whole.has(k)).map((k) => [k, whole.get(k) as string]));
    }
    const [keyNids, snapshot] = await Promise.all([this.states.stateKeyNids(keys), this.states.loadSnapshot(first.stateSnapshotNid)]);
    const eventNids = new Map<string, number>();
    for (const key of keys) {
      const keyNid = keyNids.get(key);
      const eventNid = keyNid !== undefined ? snapshot.get(keyNid) : undefined;
      if (eventNid !== undefined) eventNids.set(key, eventNid);
    }
    if (typeof first.pdu.state_key === "string") {
      // The snapshot is the state after the first event: step back over its own change.
      const key = stateKey(first.pdu.type, first.pdu.state_key);
      if (eventNids.has(key)) {
        if (first.prevStateEventNid !== null) eventNids.set(key, first.prevStateEventNid);
        else eventNids.delete(key);
      }
    }
    const ids = await this.events.eventIdsOf([...eventNids.values()]);
    const out = new Map<string, string>();
    for (const [key, nid] of eventNids) {
      const id = ids.get(nid);
      if (id !== undefined) out.set(key, id);
    }
    return out;
  }

  /**
   * The state to send with a timeline, from the state at its start: for an initial sync (since
   * undefined) all of it; for an incremental, limited timeline the keys that changed between `since`
   * and the timeline's start. (An unlimited incremental timeline carries the changes itself.)
   */
  private async stateToSend(roomNid: number, state: ReadonlyMap<string, string>, timeline: readonly StoredEvent[], since: number | undefined): Promise<Set<string>> {
    if (since === undefined) return new Set(state.values());
    const first = timeline[0];
    const changed = await this.rooms.stateKeysChangedBetween(roomNid, since, first?.streamOrdering ?? Number.MAX_SAFE_INTEGER);
    const keys = await this.states.stateKeysOf(changed);
    const out = new Set<string>();
    for (const key of keys.values()) {
      const id = state.get(key);
      if (id !== undefined) out.add(id);
    }
    return out;
  }
}

function timelineLimit(context: SyncContext): number {
  return Math.min(context.filter.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT, 1000);
}

function recentKey(roomNid: number, after: number, upTo: number, limit: number): string {
  return `recent:${roomNid}:${after}:${upTo}:${limit}`;
}

/** Senders of the timeline whose membership is not already given by an earlier timeline event. */
function timelineSendersNeedingMembers(timeline: readonly StoredEvent[]): Set<string> {
  const senders = new Set<string>();
  const inTimeline = new Set<string>();
  for (const event of timeline) {
    if (!inTimeline.has(event.pdu.sender)) senders.add(event.pdu.sender);
    if (event.pdu.type === "m.room.member" && typeof event.pdu.state_key === "string") inTimeline.add(event.pdu.state_key);
  }
  return senders;
}
