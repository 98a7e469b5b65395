/**
 * The rooms part of /sync: for each joined room its timeline (with `limited` and `prev_batch`), the
 * state between the previous sync (or nothing) and the timeline's start, and the summary; left rooms
 * up to the leave; invites and knocks with their stripped state.
 */
import { splitStateKey, stateKey } from "../../protocol/event.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { MembershipRecord, RoomStore } from "../../storage/room-store.js";
import type { StateStore } from "../../storage/state-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { ClientEvent, EventFormatter } from "../rooms/event-formatter.js";
import type { RoomReads } from "../rooms/room-reads.js";
import type { VisibilityService } from "../rooms/visibility.js";
import { eventMatchesFilter, type RoomEventFilter } from "./filter.js";
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
  constructor(
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly rooms: RoomStore,
    private readonly cache: CurrentStateCache,
    private readonly reads: RoomReads,
    private readonly formatter: EventFormatter,
    private readonly visibility: VisibilityService,
  ) {}

  /** A joined room's entry; undefined when an incremental sync has nothing new for it. */
  async joinedRoom(context: SyncContext, membership: MembershipRecord, force: boolean): Promise<JoinedRoomSync | undefined> {
    const since = context.since?.events;
    const newlyJoined = since !== undefined && membership.streamOrdering > since;
    const initial = since === undefined || context.fullState || newlyJoined;
    const timeline = await this.timeline(context, membership, initial ? 0 : (since as number), context.now.events);
    if (!initial && timeline.stored.length === 0 && !force) return undefined;

    const viewer = { userId: context.requester.userId, deviceId: context.requester.deviceId };
    const filter = context.filter.room?.state;
    const stateIds = await this.stateAtTimelineStart(membership.roomNid, timeline.stored, initial ? undefined : since, timeline.limited);
    let stateEvents = [...(await this.events.getByIds([...stateIds])).values()];
    const lazy = filter?.lazy_load_members ?? false;
    if (lazy) {
      const senders = new Set(timeline.stored.map((e) => e.pdu.sender));
      senders.add(context.requester.userId);
      stateEvents = stateEvents.filter((e) => e.pdu.type !== "m.room.member" || senders.has(e.pdu.state_key as string));
    }
    stateEvents = stateEvents.filter((e) => eventMatchesFilter(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content }));
    const stateOut = await this.formatter.format(stateEvents, { viewer, omitRoomId: true, bundle: false });

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
      const summary = await this.rooms.summary(membership.roomNid, context.requester.userId);
      room.summary = { "m.joined_member_count": summary.joined, "m.invited_member_count": summary.invited, "m.heroes": summary.heroes };
    }
    return room;
  }

  async leftRoom(context: SyncContext, membership: MembershipRecord): Promise<LeftRoomSync> {
    // History up to and including the leave; state as it was then.
    const since = context.since?.events ?? 0;
    const timeline = await this.timeline(context, membership, since, membership.streamOrdering);
    const stateIds = await this.stateAtTimelineStart(membership.roomNid, timeline.stored, context.since ? since : undefined, timeline.limited);
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
    const limit = Math.min(filter?.limit ?? DEFAULT_TIMELINE_LIMIT, 1000);
    const fetched = limit > 0 ? await this.events.roomEventsByStream(membership.roomNid, after, upTo, limit + 1) : [];
    const hasMore = fetched.length > limit || (limit === 0 && (await this.events.roomEventsByStream(membership.roomNid, after, upTo, 1)).length > 0);
    const newestFirst = fetched.slice(0, limit);
    const chronological = newestFirst.reverse();
    const visible = await this.visibility.filter(context.requester.userId, chronological, membership.membership);
    const stored = visible.filter((e) => eventMatchesFilter(filter, { type: e.pdu.type, sender: e.pdu.sender, content: e.pdu.content }));
    const viewer = { userId: context.requester.userId, deviceId: context.requester.deviceId };
    const events = await this.formatter.format(stored, { viewer, omitRoomId: true });
    const first = chronological[0];
    const prevBatch = first
      ? encodeTopologicalToken({ depth: first.depth, stream: first.streamOrdering as number })
      : encodeSyncToken({ ...context.now, events: upTo });
    return { timeline: { events, limited: hasMore, prev_batch: prevBatch }, stored, limited: hasMore };
  }

  /**
   * The state to send with a timeline: for an initial sync (since undefined) the full state at the
   * timeline's start; for an incremental, limited timeline the keys that changed between `since` and
   * the timeline's start; otherwise nothing (the timeline carries the changes).
   */
  private async stateAtTimelineStart(roomNid: number, timeline: readonly StoredEvent[], since: number | undefined, limited: boolean): Promise<Set<string>> {
    if (since !== undefined && !limited) return new Set();
    const first = timeline[0];
    let state: Map<string, string>;
    if (first && first.stateSnapshotNid !== null) {
      state = await this.reads.snapshotAsIds(first.stateSnapshotNid);
      if (typeof first.pdu.state_key === "string") {
        // The snapshot is the state after the first event: step back over its own change.
        const key = stateKey(first.pdu.type, first.pdu.state_key);
        const prev = first.prevStateEventNid !== null ? (await this.events.eventIdsOf([first.prevStateEventNid])).get(first.prevStateEventNid) : undefined;
        if (prev) state.set(key, prev);
        else state.delete(key);
      }
    } else {
      const room = await this.rooms.getByNid(roomNid);
      state = room ? new Map((await this.cache.head(room.roomId)).state) : new Map();
    }
    if (since === undefined) return new Set(state.values());
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
