/** The sync filter's `room.ephemeral` part, applied to typing and receipt events. */
import { eventMatchesFilter } from "../sync/filter.js";
import type { SyncContext } from "../sync/sync-types.js";

/**
 * Whether the filter lets an ephemeral event of `type` through in `roomId`. Typing and receipt events
 * have no single sender, so only the type and room conditions apply.
 */
export function ephemeralAllowed(context: SyncContext, roomId: string, type: string): boolean {
  const filter = context.filter.room?.ephemeral;
  if (!filter) return true;
  if (filter.limit === 0) return false;
  const { senders: _senders, not_senders: _notSenders, ...rest } = filter;
  return eventMatchesFilter(rest, { type, sender: "", room_id: roomId });
}

/** Whether this response sends a room's ephemeral data from scratch (initial or full-state sync). */
export function ephemeralFromScratch(context: SyncContext): boolean {
  return context.since === undefined || context.fullState;
}
