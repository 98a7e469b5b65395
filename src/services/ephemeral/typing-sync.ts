/** Typing in /sync: a room's `m.typing` ephemeral event when its typists changed since the token. */
import type { SyncContext, SyncContributor } from "../sync/sync-types.js";
import { ephemeralAllowed, ephemeralFromScratch } from "./ephemeral-filter.js";
import type { RoomTypingView, TypingService } from "./typing-service.js";

function changedInRange(context: SyncContext, view: RoomTypingView): boolean {
  return context.since !== undefined && view.changedAt > context.since.typing && view.changedAt <= context.now.typing;
}

/** The sync contributor for typing notifications. */
export function typingSyncContributor(typing: TypingService): SyncContributor {
  return {
    async roomsWithChanges(context) {
      return context.joinedRoomIds.filter((roomId) => {
        const view = typing.room(roomId);
        return view !== undefined && changedInRange(context, view) && ephemeralAllowed(context, roomId, "m.typing");
      });
    },
    async joinedRoom(context, roomId, room) {
      const view = typing.room(roomId);
      if (!view || !ephemeralAllowed(context, roomId, "m.typing")) return;
      // m.typing replaces the client's whole list, so the current set is what is sent.
      const send = changedInRange(context, view) || (ephemeralFromScratch(context) && view.userIds.length > 0);
      if (send) room.ephemeral.events.push({ type: "m.typing", content: { user_ids: [...view.userIds] } });
    },
  };
}
