/**
 * The deprecated initial syncs (client-server API old_sync and room_initial_sync): GET /initialSync
 * snapshots every room of the user (the latest `limit` messages, the state, invites; left rooms with
 * `archived`), with an `end` token for GET /events; GET /rooms/{roomId}/initialSync snapshots one room,
 * which is how a user previews a world_readable room they are not in ("Room Previews"). Left rooms are
 * shown as they were when the user left. Account data and presence come from InitialSyncExtras.
 */
import type { Notifier, StreamPositions } from "../../notifier/notifier.js";
import type { EventStore } from "../../storage/event-store.js";
import type { MembershipRecord, RoomStore } from "../../storage/room-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { ClientEvent, EventFormatter, Viewer } from "../rooms/event-formatter.js";
import type { RoomReads } from "../rooms/room-reads.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { VisibilityService } from "../rooms/visibility.js";
import { encodeSyncToken, encodeTopologicalToken } from "../sync/tokens.js";
import type { BasicEvent, InitialSyncExtras } from "./initial-sync-extras.js";

export interface RoomSnapshot {
  room_id: string;
  membership?: string;
  invite?: ClientEvent;
  messages?: { start?: string; end: string; chunk: ClientEvent[] };
  state?: ClientEvent[];
  visibility?: "public" | "private";
  account_data?: BasicEvent[];
}

export interface InitialSync {
  end: string;
  presence: BasicEvent[];
  account_data: BasicEvent[];
  rooms: RoomSnapshot[];
}

/** The memberships the spec's RoomInfo names. */
const REPORTED_MEMBERSHIPS = new Set(["invite", "join", "leave", "ban"]);

export class InitialSyncService {
  private extras: InitialSyncExtras | undefined;

  constructor(
    private readonly notifier: Notifier,
    private readonly rooms: RoomStore,
    private readonly events: EventStore,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly visibility: VisibilityService,
    private readonly formatter: EventFormatter,
    private readonly roomReads: RoomReads,
  ) {}

  /** Wired by context.ts: account data and presence (without it, both are left empty). */
  setExtras(extras: InitialSyncExtras): void {
    this.extras = extras;
  }

  /** GET /initialSync: every room of the user; left and banned ones only with `archived`. */
  async initialSync(viewer: Viewer, options: { limit: number; archived: boolean }): Promise<InitialSync> {
    const now = this.notifier.positions();
    const accountData = await this.extras?.accountDataOf(viewer.userId, now);
    const rooms: RoomSnapshot[] = [];
    for (const m of await this.rooms.membershipsOf(viewer.userId)) {
      if (m.forgotten || m.streamOrdering > now.events) continue;
      if (m.membership === "invite") rooms.push(await this.invited(viewer, m));
      else if (m.membership === "join" || (options.archived && (m.membership === "leave" || m.membership === "ban"))) {
        const snapshot = await this.snapshot(viewer, m.roomId, options.limit, now);
        rooms.push({ ...snapshot, account_data: accountData?.rooms.get(m.roomId) ?? [] });
      }
    }
    return {
      end: encodeSyncToken(now),
      presence: (await this.extras?.presenceFor(viewer.userId, now)) ?? [],
      account_data: accountData?.global ?? [],
      rooms,
    };
  }

  /** GET /rooms/{roomId}/initialSync: a member's (or former member's) view, or a world_readable preview. */
  async roomInitialSync(viewer: Viewer, roomId: string, limit: number): Promise<RoomSnapshot> {
    const now = this.notifier.positions();
    const snapshot = await this.snapshot(viewer, roomId, limit, now);
    const accountData = await this.extras?.accountDataOf(viewer.userId, now);
    return { ...snapshot, account_data: accountData?.rooms.get(roomId) ?? [] };
  }

  /** One room as the viewer may see it at `now`, without account data. */
  private async snapshot(viewer: Viewer, roomId: string, limit: number, now: StreamPositions): Promise<RoomSnapshot> {
    const head = await this.cache.head(roomId);
    const membership = await this.reader.membership(head, viewer.userId);
    // 403 unless joined, world_readable, or formerly joined (then the state when they left).
    const { state, current } = await this.roomReads.readableState(head, viewer.userId);
    const upTo = current ? now.events : ((await this.reader.event(head, "m.room.member", viewer.userId))?.streamOrdering ?? now.events);
    const newestFirst = limit > 0 ? await this.events.roomEventsByStream(head.room.roomNid, 0, upTo, limit) : [];
    const visible = await this.visibility.filter(viewer.userId, newestFirst.reverse(), membership);
    const first = visible[0];
    const stateEvents = [...(await this.events.getByIds([...state.values()])).values()];
    return {
      room_id: roomId,
      // A peeking user has no membership; the spec's enum has no value for that, so none is given.
      ...(membership !== undefined && REPORTED_MEMBERSHIPS.has(membership) ? { membership } : {}),
      messages: {
        ...(first ? { start: encodeTopologicalToken({ depth: first.depth, stream: first.streamOrdering as number }) } : {}),
        end: encodeSyncToken({ ...now, events: upTo }),
        chunk: await this.formatter.format(visible, { viewer }),
      },
      state: await this.formatter.format(stateEvents, { viewer, bundle: false }),
      visibility: head.room.visibility,
    };
  }

  private async invited(viewer: Viewer, m: MembershipRecord): Promise<RoomSnapshot> {
    const invite = (await this.events.getByNids([m.eventNid])).get(m.eventNid);
    return {
      room_id: m.roomId,
      membership: "invite",
      ...(invite ? { invite: await this.formatter.formatOne(invite, { viewer, bundle: false }) } : {}),
    };
  }
}
