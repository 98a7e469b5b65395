/**
 * Sending an event is activity (spec "Last active ago"): a persist hook that marks the local sender of
 * each new non-membership event active once it is committed. Membership changes are left out, as in
 * Synapse, since many are made on a user's behalf (invites, kicks, server-side joins).
 */
import type { PersistHook } from "../rooms/event-persister.js";
import type { PresenceService } from "./presence-service.js";

export function presenceActivityHook(presence: PresenceService): PersistHook {
  return async (context) => {
    if (context.pdu.type === "m.room.member") return;
    const sender = context.pdu.sender;
    context.afterCommit(() => presence.bumpActive(sender));
  };
}
