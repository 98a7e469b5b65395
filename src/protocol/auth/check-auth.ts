/**
 * The authorization rules of room versions 1–12 (content/rooms/v*.md "Authorization rules",
 * fragments v1/v3/v8-auth-rules.md). Rule numbers below are those of v12; the version flags in
 * room-versions.ts switch the differences on and off.
 *
 * Not checked here, because the rules' inputs do not include them: signatures (including the
 * authorising server's on restricted joins: event-signing.ts `requiredSignatureServers`), whether an
 * auth event was itself rejected (rule 3.3: callers pass only accepted events; likewise v12 rule 2's
 * "accepted" create event), and event format and size.
 */
import type { RoomEvent } from "../event.js";
import { requiredPowerToSend, currentPowerLevels, readPowerLevels, userPowerLevel } from "../power-levels.js";
import type { RoomVersion } from "../room-versions.js";
import { AuthError, membershipOf, type AuthState } from "./auth-state.js";
import { authStateFromAuthEvents } from "./auth-events-check.js";
import { checkCreateEvent } from "./create-rules.js";
import { checkMemberEvent } from "./membership-rules.js";
import { checkPowerLevelsEvent } from "./power-level-rules.js";
import { serverNameOf } from "./user-ids.js";

/** Throws AuthError unless `event` is allowed by the rules of `version` given `authState`. */
export function checkEventAuth(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  // 1. The create event stands alone.
  if (event.type === "m.room.create") return checkCreateEvent(version, event);

  // 2. (and 2.4 of v1–11) The room must have a create event, and it must be this room's.
  const create = authState("m.room.create", "");
  if (!create) throw new AuthError("create.missing", "no m.room.create event in the auth state");
  const roomOfCreate = version.roomIdFromCreateEvent ? `!${create.event_id.slice(1)}` : create.room_id;
  if (event.room_id !== roomOfCreate) {
    throw new AuthError("create.room", "the room's create event belongs to another room");
  }

  // 4. m.federate: false keeps other servers out. The spec says "set to false", which we follow;
  // Synapse treats any value but `true` as false, and also refuses member events whose *target* is on
  // another server (harmless to skip: such a user's own join is refused here anyway).
  if (create.content["m.federate"] === false && serverNameOf(event.sender) !== serverNameOf(create.sender)) {
    throw new AuthError("federate", "the room does not federate");
  }

  // v1–5 rule 4: aliases are the business of the server named in the state key.
  if (version.specialCaseAliasesAuth && event.type === "m.room.aliases") {
    if (event.state_key === undefined) throw new AuthError("aliases.state_key", "aliases event without state_key");
    if (event.state_key !== serverNameOf(event.sender)) {
      throw new AuthError("aliases.domain", "aliases state_key is not the sender's server");
    }
    return;
  }

  // 5. Membership.
  if (event.type === "m.room.member") return checkMemberEvent(version, event, authState);

  // 6. Everything else needs a joined sender.
  if (membershipOf(authState, event.sender) !== "join") {
    throw new AuthError("sender.not_joined", "sender is not joined to the room");
  }
  const levels = currentPowerLevels(version, authState);
  const senderLevel = userPowerLevel(version, event.sender, authState);

  // 7. Third-party invites need only the invite level.
  if (event.type === "m.room.third_party_invite") {
    if (senderLevel >= (levels ?? readPowerLevels(version, undefined)).invite) return;
    throw new AuthError("third_party_invite.power", "sender may not invite");
  }

  // 8. The event type's required power level.
  const isState = event.state_key !== undefined;
  if (requiredPowerToSend(levels ?? readPowerLevels(version, undefined), event.type, isState) > senderLevel) {
    throw new AuthError("power.send", `sender may not send ${event.type}`);
  }

  // 9. State keys that are user IDs belong to that user.
  if (event.state_key?.startsWith("@") && event.state_key !== event.sender) {
    throw new AuthError("state_key.user", "state_key names another user");
  }

  // 10. Power level changes.
  if (event.type === "m.room.power_levels") checkPowerLevelsEvent(version, event, authState, senderLevel);

  // v1–2 rule 11: redactions need the redact level or the redacted event's server.
  if (version.redactionDomainCheckAtAuth && event.type === "m.room.redaction") {
    if (senderLevel >= (levels ?? readPowerLevels(version, undefined)).redact) return;
    if (event.redacts !== undefined && serverNameOf(event.redacts) === serverNameOf(event.event_id)) return;
    throw new AuthError("redaction.domain", "sender may not redact another server's event");
  }
}

/**
 * Same, given the event's own auth events (validates them first: right types, no duplicates, same room,
 * rejects unexpected ones; for v12 `createEvent` is passed separately because it is not in auth_events).
 */
export function checkEventAuthWithAuthEvents(
  version: RoomVersion,
  event: RoomEvent,
  authEvents: readonly RoomEvent[],
  createEvent?: RoomEvent,
): void {
  if (event.type === "m.room.create") return checkCreateEvent(version, event);
  checkEventAuth(version, event, authStateFromAuthEvents(version, event, authEvents, createEvent));
}
