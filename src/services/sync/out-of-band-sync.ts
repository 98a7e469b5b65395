/**
 * The /sync part of memberships in rooms this server is not in (remote invites, knocks through other
 * servers and the leaves that end them): `rooms.invite` with `invite_state`, `rooms.knock` with
 * `knock_state` (the stripped state the other server gave, then the member event itself), and
 * `rooms.leave` with the leave as the only timeline event. A room whose own membership row for the
 * user is as new or newer (the user joined, or the event reached us as a room event too) is left to
 * the rooms part, so nothing shows twice.
 */
import type { OutOfBandMembership, OutOfBandMembershipStore } from "../../storage/out-of-band-membership-store.js";
import { roomMatchesFilter } from "./filter.js";
import type { SyncContext, SyncContributor, SyncResponse } from "./sync-types.js";

/** The member event as clients see it (client-server API "Room event format"). */
function clientEvent(m: OutOfBandMembership): Record<string, unknown> {
  const e = m.event;
  return { type: e["type"], state_key: e["state_key"], sender: e["sender"], content: e["content"], event_id: m.eventId, origin_server_ts: e["origin_server_ts"], unsigned: {} };
}

export class OutOfBandSync implements SyncContributor {
  constructor(private readonly store: OutOfBandMembershipStore) {}

  async global(context: SyncContext, response: SyncResponse): Promise<void> {
    const since = context.since?.events;
    if (since !== undefined && since >= (await this.store.newestPosition())) return;
    const rows = await this.store.ofUser(context.requester.userId);
    if (rows.length === 0) return;
    const local = new Map(context.memberships.map((m) => [m.roomId, m.streamOrdering]));
    for (const row of rows) {
      if (row.streamOrdering > context.now.events) continue; // the next sync has it
      if ((local.get(row.roomId) ?? -1) >= row.streamOrdering) continue;
      if (since !== undefined && row.streamOrdering <= since) continue;
      if (!roomMatchesFilter(context.filter.room, row.roomId)) continue;
      const event = clientEvent(row);
      switch (row.membership) {
        case "invite":
          response.rooms.invite[row.roomId] = { invite_state: { events: [...row.strippedState, event] } };
          break;
        case "knock":
          response.rooms.knock[row.roomId] = { knock_state: { events: [...row.strippedState, event] } };
          break;
        case "leave":
          // As for rooms of ours, an initial sync shows left rooms only when the filter asks.
          if (since === undefined && !(context.filter.room?.include_leave ?? false)) break;
          response.rooms.leave[row.roomId] = { timeline: { events: [event as never], limited: false }, state: { events: [] }, account_data: { events: [] } };
          break;
      }
    }
  }
}
