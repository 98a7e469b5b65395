/**
 * Account data in /sync: the top-level `account_data` section (global entries) and each room's
 * `account_data` (joined rooms, and left rooms the response carries), with every entry on an initial
 * or full-state sync (as Synapse) and those written since the token's account_data position on an
 * incremental one. A room whose account data changed is sent even if nothing else happened in it.
 */
import type { AccountDataRecord, AccountDataStore } from "../../storage/account-data-store.js";
import { eventMatchesFilter, type EventFilter } from "../sync/filter.js";
import type { JoinedRoomSync, SyncContext, SyncContributor, SyncResponse } from "../sync/sync-types.js";

type AccountDataEvent = { type: string; content: Record<string, unknown> };

/** Account data events have no sender or room of their own: only the type conditions apply. */
function typesOnly(filter: EventFilter | undefined): EventFilter | undefined {
  if (!filter) return undefined;
  return { ...(filter.types ? { types: filter.types } : {}), ...(filter.not_types ? { not_types: filter.not_types } : {}) };
}

/** The position after which entries are sent; undefined means all of them. */
function after(context: SyncContext): number | undefined {
  return context.fullState ? undefined : context.since?.account_data;
}

/** Nothing was written between the token and now: no need to ask (most woken long-polls). */
function unchanged(context: SyncContext): boolean {
  return after(context) === context.now.account_data;
}

function toEvents(records: readonly AccountDataRecord[], filter: EventFilter | undefined): AccountDataEvent[] {
  const f = typesOnly(filter);
  return records.filter((r) => eventMatchesFilter(f, { type: r.type, sender: "" })).map((r) => ({ type: r.type, content: r.content }));
}

export class AccountDataSync implements SyncContributor {
  // One read of the user's room account data per /sync computation, shared by the hooks.
  private readonly roomChanges = new WeakMap<SyncContext, Promise<Map<string, AccountDataRecord[]>>>();

  constructor(private readonly store: AccountDataStore) {}

  private byRoom(context: SyncContext): Promise<Map<string, AccountDataRecord[]>> {
    let pending = this.roomChanges.get(context);
    if (!pending && unchanged(context)) pending = Promise.resolve(new Map());
    if (!pending) {
      pending = this.store.changes(context.requester.userId, "rooms", after(context), context.now.account_data).then((records) => {
        const map = new Map<string, AccountDataRecord[]>();
        for (const record of records) {
          const list = map.get(record.roomId);
          if (list) list.push(record);
          else map.set(record.roomId, [record]);
        }
        return map;
      });
      this.roomChanges.set(context, pending);
    }
    return pending;
  }

  async roomsWithChanges(context: SyncContext): Promise<Iterable<string>> {
    return (await this.byRoom(context)).keys();
  }

  async joinedRoom(context: SyncContext, roomId: string, room: JoinedRoomSync): Promise<void> {
    const records = (await this.byRoom(context)).get(roomId);
    if (records) room.account_data.events.push(...toEvents(records, context.filter.room?.account_data));
  }

  async global(context: SyncContext, response: SyncResponse): Promise<void> {
    const userId = context.requester.userId;
    const global = unchanged(context) ? [] : await this.store.changes(userId, "global", after(context), context.now.account_data);
    response.account_data.events.push(...toEvents(global, context.filter.account_data));
    const byRoom = await this.byRoom(context);
    for (const [roomId, left] of Object.entries(response.rooms.leave)) {
      const records = byRoom.get(roomId);
      if (records) left.account_data.events.push(...toEvents(records, context.filter.room?.account_data));
    }
  }
}
