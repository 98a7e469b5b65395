/**
 * Presence in /sync: the top-level `presence` section with the presence of the user and of everyone
 * who shares a joined room with them, changed since the token; and the sync request hooks that make
 * a syncing user online (`set_presence`) and start their offline timeout once they stop syncing.
 */
import type { PresenceStore } from "../../storage/presence-store.js";
import { eventMatchesFilter } from "../sync/filter.js";
import type { SyncContributor } from "../sync/sync-types.js";
import type { Clock } from "../clock.js";
import type { PresenceService } from "./presence-service.js";
import { presenceContent } from "./presence-state.js";

/** The sync contributor for presence. */
export function presenceSyncContributor(presence: PresenceService, store: PresenceStore, clock: Clock): SyncContributor {
  return {
    onSyncRequest: (requester, setPresence) => presence.syncStarted(requester, setPresence),
    afterSyncRequest: (requester, setPresence) => presence.syncEnded(requester, setPresence),
    async global(context, response) {
      if (!presence.enabled) return;
      const filter = context.filter.presence;
      if (filter?.limit === 0) return;
      const initial = context.since === undefined;
      // Nothing was written between the token and now: no need to ask (most woken long-polls).
      if (!initial && context.since?.presence === context.now.presence) return;
      const rows = await store.visibleTo(context.requester.userId, context.since?.presence, context.now.presence);
      const now = clock.now();
      for (const row of rows) {
        const shown = presence.overlay(row);
        // As Synapse, an initial sync leaves out offline users: only changes to offline are news.
        if (initial && shown.state === "offline") continue;
        const event = { type: "m.presence", sender: row.userId, content: presenceContent(shown, now) };
        if (!eventMatchesFilter(filter, event)) continue;
        response.presence.events.push(event);
        if (filter?.limit !== undefined && response.presence.events.length >= filter.limit) break;
      }
    },
  };
}
