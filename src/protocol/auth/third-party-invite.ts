/**
 * Invites that redeem an `m.room.third_party_invite` (rule "If `content` has a `third_party_invite`
 * property" of every room version; server-server-api "Third-party invites", "Verifying the invite"):
 * the identity server signed `{mxid, token}` with a key the inviter published in the room.
 */
import { decodeBase64Any } from "../base64.js";
import type { RoomEvent } from "../event.js";
import { isJsonObject, type JsonObject } from "../json.js";
import type { RoomVersion } from "../room-versions.js";
import { signedBytes, verifyBytes } from "../signing.js";
import { AuthError, membershipOf, type AuthState } from "./auth-state.js";

/** Throws unless the invite is authorised by a third-party invite in `authState` (then it is allowed). */
export function checkThirdPartyInvite(version: RoomVersion, event: RoomEvent, authState: AuthState): void {
  const target = event.state_key as string;
  if (membershipOf(authState, target) === "ban") {
    throw new AuthError("member.invite.3pid.target_banned", "the invited user is banned");
  }
  const invite = event.content["third_party_invite"];
  const signed = isJsonObject(invite) ? invite["signed"] : undefined;
  if (!isJsonObject(signed)) {
    throw new AuthError("member.invite.3pid.signed", "third_party_invite has no signed object");
  }
  const { mxid, token } = signed;
  if (typeof mxid !== "string" || typeof token !== "string") {
    throw new AuthError("member.invite.3pid.mxid_token", "signed object lacks mxid or token");
  }
  if (mxid !== target) {
    throw new AuthError("member.invite.3pid.mxid", "signed mxid is not the invited user");
  }
  const thirdPartyInvite = authState("m.room.third_party_invite", token);
  if (!thirdPartyInvite) {
    throw new AuthError("member.invite.3pid.no_invite", "no m.room.third_party_invite for the token");
  }
  if (thirdPartyInvite.sender !== event.sender) {
    throw new AuthError("member.invite.3pid.sender", "sender did not send the third-party invite");
  }
  if (!signedByAnyKey(version, signed, inviteEventPublicKeys(thirdPartyInvite.content))) {
    throw new AuthError("member.invite.3pid.signature", "no signature in signed matches the invite's keys");
  }
}

/** The public keys of an `m.room.third_party_invite`: `public_key` and each `public_keys[].public_key`. */
export function inviteEventPublicKeys(content: JsonObject): string[] {
  const keys: string[] = [];
  if (typeof content["public_key"] === "string") keys.push(content["public_key"]);
  const list = content["public_keys"];
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isJsonObject(entry) && typeof entry["public_key"] === "string") keys.push(entry["public_key"]);
    }
  }
  return keys;
}

/**
 * "If any signature in `signed` matches any public key": every ed25519 signature by any entity is tried
 * against every key. The entity name is not checked, as in Synapse: the key came from the room, which
 * is what ties it to the identity server.
 */
export function signedByAnyKey(version: RoomVersion, signed: JsonObject, publicKeys: readonly string[]): boolean {
  const signatures = signed["signatures"];
  const keys = publicKeys.flatMap((key) => {
    try {
      return [decodeBase64Any(key)];
    } catch {
      return []; // a key that is not base64 matches nothing
    }
  });
  if (!isJsonObject(signatures) || keys.length === 0) return false;
  let message: Buffer;
  try {
    message = signedBytes(signed, { lenient: !version.strictCanonicalJson });
  } catch {
    return false;
  }
  for (const byKey of Object.values(signatures)) {
    if (!isJsonObject(byKey)) continue;
    for (const [keyId, signature] of Object.entries(byKey)) {
      if (!keyId.startsWith("ed25519:") || typeof signature !== "string") continue;
      if (keys.some((key) => verifyBytes(message, signature, key))) return true;
    }
  }
  return false;
}
