/**
 * Auth rules for `m.room.member` events (rule 4/5 of each room version: join, invite, leave, ban,
 * knock). The caller has already checked the create event and `m.federate`.
 */
import type { RoomEvent } from "../event.js";
import { currentPowerLevels, LEVEL_DEFAULTS, userPowerLevel } from "../power-levels.js";
import type { RoomVersion } from "../room-versions.js";
import { AuthError, membershipOf, type AuthState } from "./auth-state.js";
import { checkRestrictedJoin, isRestrictedJoinRule } from "./restricted-join.js";
import { checkThirdPartyInvite } from "./third-party-invite.js";

/** Throws unless the membership change is allowed. */
export function checkMemberEvent(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  const membership = event.content["membership"];
  if (event.state_key === undefined || typeof membership !== "string") {
    throw new AuthError("member.shape", "member event without state_key or membership");
  }
  switch (membership) {
    case "join":
      return checkJoin(version, event, authState);
    case "invite":
      return checkInvite(version, event, authState);
    case "leave":
      return checkLeave(version, event, authState);
    case "ban":
      return checkBan(version, event, authState);
    case "knock":
      if (version.knocking) return checkKnock(version, event, authState);
  }
  throw new AuthError("member.unknown", `unknown membership ${JSON.stringify(membership)}`);
}

/**
 * The join rule in force. With no `m.room.join_rules` event (or no string `join_rule` in it), the spec
 * matches no rule and rejects; Synapse reads it as `invite`, which differs only for an invited or
 * joined user, whom it lets (re)join. We follow Synapse.
 */
function joinRuleOf(authState: AuthState): string {
  const rule = authState("m.room.join_rules", "")?.content["join_rule"];
  return typeof rule === "string" ? rule : "invite";
}

function levels(version: RoomVersion, authState: AuthState) {
  const current = currentPowerLevels(version, authState);
  return {
    invite: current?.invite ?? LEVEL_DEFAULTS.invite,
    kick: current?.kick ?? LEVEL_DEFAULTS.kick,
    ban: current?.ban ?? LEVEL_DEFAULTS.ban,
  };
}

/** "If the only previous event is an m.room.create and the state_key is the creator" (v11+: its sender). */
function isCreatorsFirstJoin(version: RoomVersion, event: RoomEvent, authState: AuthState): boolean {
  const create = authState("m.room.create", "");
  if (!create || event.prev_events.length !== 1 || event.prev_events[0] !== create.event_id) return false;
  const creator = version.implicitCreator ? create.sender : create.content["creator"];
  return event.state_key === creator;
}

function checkJoin(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  if (isCreatorsFirstJoin(version, event, authState)) return;
  if (event.sender !== event.state_key) {
    throw new AuthError("member.join.sender", "cannot join on behalf of another user");
  }
  const current = membershipOf(authState, event.sender);
  if (current === "ban") throw new AuthError("member.join.banned", "sender is banned");

  const joinRule = joinRuleOf(authState);
  if (joinRule === "invite" || (version.knocking && joinRule === "knock")) {
    if (current === "invite" || current === "join") return;
    throw new AuthError("member.join.not_invited", "the room is invite-only and sender is not invited");
  }
  if (isRestrictedJoinRule(version, joinRule)) return checkRestrictedJoin(version, event, authState);
  if (joinRule === "public") return;
  throw new AuthError("member.join.rule", `cannot join under join rule ${JSON.stringify(joinRule)}`);
}

function checkInvite(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  if ("third_party_invite" in event.content) return checkThirdPartyInvite(version, event, authState);
  if (membershipOf(authState, event.sender) !== "join") {
    throw new AuthError("member.invite.sender_not_joined", "sender is not joined");
  }
  const target = membershipOf(authState, event.state_key as string);
  if (target === "join" || target === "ban") {
    throw new AuthError("member.invite.target", `target is already ${target}`);
  }
  if (userPowerLevel(version, event.sender, authState) < levels(version, authState).invite) {
    throw new AuthError("member.invite.power", "sender may not invite");
  }
}

function checkLeave(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  const senderMembership = membershipOf(authState, event.sender);
  if (event.sender === event.state_key) {
    if (senderMembership === "invite" || senderMembership === "join") return;
    if (version.knocking && senderMembership === "knock") return;
    throw new AuthError("member.leave.self", "sender is not invited, joined or knocking");
  }
  if (senderMembership !== "join") {
    throw new AuthError("member.leave.sender_not_joined", "sender is not joined");
  }
  const { kick, ban } = levels(version, authState);
  const senderLevel = userPowerLevel(version, event.sender, authState);
  if (membershipOf(authState, event.state_key as string) === "ban" && senderLevel < ban) {
    throw new AuthError("member.leave.unban_power", "sender may not unban");
  }
  if (senderLevel < kick || userPowerLevel(version, event.state_key as string, authState) >= senderLevel) {
    throw new AuthError("member.leave.kick_power", "sender may not kick the target");
  }
}

function checkBan(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  if (membershipOf(authState, event.sender) !== "join") {
    throw new AuthError("member.ban.sender_not_joined", "sender is not joined");
  }
  const senderLevel = userPowerLevel(version, event.sender, authState);
  if (senderLevel < levels(version, authState).ban) {
    throw new AuthError("member.ban.power", "sender may not ban");
  }
  if (userPowerLevel(version, event.state_key as string, authState) >= senderLevel) {
    throw new AuthError("member.ban.target_power", "target's power level is not below the sender's");
  }
}

function checkKnock(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  const joinRule = joinRuleOf(authState);
  if (joinRule !== "knock" && !(version.knockRestricted && joinRule === "knock_restricted")) {
    throw new AuthError("member.knock.rule", "the join rule does not allow knocking");
  }
  if (event.sender !== event.state_key) {
    throw new AuthError("member.knock.sender", "cannot knock on behalf of another user");
  }
  const current = membershipOf(authState, event.sender);
  if (current === "ban" || current === "invite" || current === "join") {
    throw new AuthError("member.knock.membership", `sender is already ${current}`);
  }
}
