/**
 * Joins under the `restricted` (v8+) and `knock_restricted` (v10+) join rules: a member of the room
 * vouches for the joiner by naming itself in `content.join_authorised_via_users_server`, and its server
 * signs the join (rooms/fragments/v8-auth-rules.md rules 4.2 and 4.3.5). The signature half of that
 * (rule 4.2) is checked with the other signatures: event-signing.ts `requiredSignatureServers` lists
 * the authorising server, as Synapse does, since the auth rules see no signatures.
 */
import type { RoomEvent } from "../event.js";
import { userPowerLevel, currentPowerLevels, LEVEL_DEFAULTS } from "../power-levels.js";
import type { RoomVersion } from "../room-versions.js";
import { AuthError, membershipOf, type AuthState } from "./auth-state.js";

/** Whether `joinRule` is one of the restricted rules this room version knows. */
export function isRestrictedJoinRule(version: RoomVersion, joinRule: string): boolean {
  return (version.restrictedJoins && joinRule === "restricted") || (version.knockRestricted && joinRule === "knock_restricted");
}

/**
 * A join under a restricted rule by someone not already joined or invited: the authorising user must
 * be joined and have the power to invite. Whether the joiner actually satisfied the `allow` conditions
 * is for the authorising server to decide; the rules only check that a qualified member vouched.
 */
export function checkRestrictedJoin(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  const senderMembership = membershipOf(authState, event.sender);
  if (senderMembership === "join" || senderMembership === "invite") return;

  const authoriser = event.content["join_authorised_via_users_server"];
  if (typeof authoriser !== "string") {
    throw new AuthError("member.join.restricted.no_authoriser", "restricted join names no authorising user");
  }
  if (membershipOf(authState, authoriser) !== "join") {
    throw new AuthError("member.join.restricted.authoriser_not_joined", "authorising user is not joined");
  }
  const inviteLevel = currentPowerLevels(version, authState)?.invite ?? LEVEL_DEFAULTS.invite;
  if (userPowerLevel(version, authoriser, authState) < inviteLevel) {
    throw new AuthError("member.join.restricted.authoriser_cannot_invite", "authorising user may not invite");
  }
}
