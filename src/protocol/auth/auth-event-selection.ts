/**
 * server-server-api "Auth events selection": which pieces of the current state an event cites in its
 * `auth_events`. Used both to build new events and to check that received events cite nothing else.
 */
import { isJsonObject, type JsonObject } from "../json.js";
import type { RoomVersion } from "../room-versions.js";

export interface AuthSelectable {
  type: string;
  state_key?: string;
  sender: string;
  content: JsonObject;
}

/**
 * The (type, state_key) pairs whose current state an event must cite in auth_events, when present in
 * the state. Create events cite nothing; room version 12 never cites the create event (the room ID
 * stands for it).
 */
export function authEventKeys(version: RoomVersion, event: AuthSelectable): Array<[type: string, stateKey: string]> {
  if (event.type === "m.room.create") return [];
  const keys: Array<[string, string]> = [];
  if (!version.roomIdFromCreateEvent) keys.push(["m.room.create", ""]);
  keys.push(["m.room.power_levels", ""], ["m.room.member", event.sender]);
  if (event.type !== "m.room.member" || event.state_key === undefined) return keys;

  const membership = event.content["membership"];
  keys.push(["m.room.member", event.state_key]);
  if (membership === "join" || membership === "invite" || membership === "knock") {
    keys.push(["m.room.join_rules", ""]);
  }
  if (membership === "invite") {
    const token = thirdPartyInviteToken(event.content);
    if (token !== undefined) keys.push(["m.room.third_party_invite", token]);
  }
  if (membership === "join" && version.restrictedJoins) {
    const authoriser = event.content["join_authorised_via_users_server"];
    if (typeof authoriser === "string") keys.push(["m.room.member", authoriser]);
  }
  return dedupe(keys);
}

/** `content.third_party_invite.signed.token` of an invite, if it is a string. */
export function thirdPartyInviteToken(content: JsonObject): string | undefined {
  const invite = content["third_party_invite"];
  if (!isJsonObject(invite)) return undefined;
  const signed = invite["signed"];
  if (!isJsonObject(signed)) return undefined;
  const token = signed["token"];
  return typeof token === "string" ? token : undefined;
}

/** A member event about oneself would list the same key twice. */
function dedupe(keys: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  return keys.filter(([type, key]) => {
    const id = `${type}\u0000${key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
