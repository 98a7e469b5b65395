/**
 * GET /notifications (client-server API "Listing Notifications"): the events the user was notified
 * about, newest first, paged by stream position, each with whether the user has read it.
 */
import { MatrixError } from "../../errors.js";
import type { PushAction } from "../../protocol/push/types.js";
import type { EventStore } from "../../storage/event-store.js";
import type { PushActionStore } from "../../storage/push-action-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Requester } from "../accounts/requester.js";
import type { ClientEvent, EventFormatter } from "../rooms/event-formatter.js";
import { ReadPositions } from "./read-positions.js";

/** Synapse's default page size and its cap; the spec gives neither. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export interface NotificationsQuery {
  from?: string | undefined;
  limit?: number | undefined;
  only?: string | undefined;
}

export interface Notification {
  actions: PushAction[];
  event: ClientEvent;
  read: boolean;
  room_id: string;
  ts: number;
}

export interface NotificationsPage {
  notifications: Notification[];
  next_token?: string;
}

export class NotificationsService {
  constructor(
    private readonly store: PushActionStore,
    private readonly events: EventStore,
    private readonly rooms: RoomStore,
    private readonly formatter: EventFormatter,
  ) {}

  /** One page of the requester's notifications, before the `from` token when given. */
  async list(requester: Requester, query: NotificationsQuery): Promise<NotificationsPage> {
    const before = query.from === undefined ? Number.MAX_SAFE_INTEGER : parseToken(query.from);
    const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    // `only` filters; any value other than "highlight" filters nothing (as Synapse).
    const rows = await this.store.notifications(requester.userId, before, limit + 1, query.only === "highlight");
    const page = rows.slice(0, limit);
    const stored = await this.events.getByNids(page.map((r) => r.eventNid));
    const found = page.flatMap((row) => {
      const event = stored.get(row.eventNid);
      return event ? [{ row, event }] : [];
    });
    const formatted = await this.formatter.format(
      found.map((f) => f.event),
      { viewer: { userId: requester.userId, deviceId: requester.deviceId }, omitRoomId: true },
    );
    const positions = await ReadPositions.load(this.store, requester.userId);
    const roomIds = await this.roomIdsOf(new Set(found.map((f) => f.row.roomNid)));
    const notifications = found.map(({ row, event }, i): Notification => ({
      actions: row.actions,
      event: formatted[i] as ClientEvent,
      read: row.streamOrdering <= positions.readUpTo(row.roomNid, row.threadId),
      room_id: roomIds.get(row.roomNid) ?? "",
      // When the server received the event, which is when it notified (as Synapse).
      ts: event.receivedTs,
    }));
    const last = page[page.length - 1];
    return rows.length > limit && last ? { notifications, next_token: String(last.streamOrdering) } : { notifications };
  }

  private async roomIdsOf(roomNids: ReadonlySet<number>): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const roomNid of roomNids) {
      const room = await this.rooms.getByNid(roomNid);
      if (room) out.set(roomNid, room.roomId);
    }
    return out;
  }
}

function parseToken(from: string): number {
  if (!/^[0-9]{1,15}$/.test(from)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid from token");
  return Number(from);
}
