/** Invites that redeem an m.room.third_party_invite with a signed token from an identity server. */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { encodeBase64 } from "../../../src/protocol/base64.js";
import { canonicalJsonBytes } from "../../../src/protocol/canonical-json.js";
import type { JsonObject } from "../../../src/protocol/json.js";
import { ALICE, ALL_VERSIONS, BOB, DAVE, type Room } from "./room-builder.js";
import { runTable, type Row } from "./table.js";

function keyPair(): { privateKey: KeyObject; publicKey: string } {
  const pair = generateKeyPairSync("ed25519");
  const x = pair.publicKey.export({ format: "jwk" }).x as string;
  return { privateKey: pair.privateKey, publicKey: encodeBase64(Buffer.from(x, "base64url")) };
}

const identity = keyPair();
const other = keyPair();
const TOKEN = "abc123";

function signedBy(key: KeyObject, body: JsonObject, keyId = "ed25519:0"): JsonObject {
  const signature = encodeBase64(sign(null, canonicalJsonBytes(body), key));
  return { ...body, signatures: { "id.example": { [keyId]: signature } } };
}

const goodSigned = (): JsonObject => signedBy(identity.privateKey, { mxid: BOB, token: TOKEN });

function thirdPartyInviteEvent(r: Room, content: JsonObject = {}, sender = ALICE, token = TOKEN) {
  return r.state(
    "m.room.third_party_invite",
    sender,
    { display_name: "b...@example.org", key_validity_url: "https://id.example/isvalid", public_key: identity.publicKey, ...content },
    token,
  );
}

/** A room where alice (joined) has sent a third-party invite for TOKEN. */
const room = (r: Room, content: JsonObject = {}, members: Record<string, string> = {}) => [
  ...r.standard({ members }),
  thirdPartyInviteEvent(r, content),
];

const invite = (signed: JsonObject | undefined, sender = ALICE, target = BOB) => (r: Room) =>
  r.member(target, "invite", { third_party_invite: signed === undefined ? { display_name: "b" } : { display_name: "b", signed } }, sender);

const rows: Row[] = [
  { name: "a correctly signed token is redeemed", versions: ALL_VERSIONS, state: (r) => room(r), event: invite(goodSigned()) },
  {
    name: "the key may come from public_keys",
    versions: ALL_VERSIONS,
    state: (r) => room(r, { public_key: other.publicKey, public_keys: [{ public_key: other.publicKey }, { public_key: identity.publicKey }] }),
    event: invite(goodSigned()),
  },
  {
    name: "a URL-safe base64 public key works too",
    versions: ALL_VERSIONS,
    state: (r) => room(r, { public_key: Buffer.from(identity.publicKey, "base64").toString("base64url") }),
    event: invite(goodSigned()),
  },
  {
    name: "the inviter need not still be joined: the invite event vouches (no membership rule applies)",
    versions: ALL_VERSIONS,
    state: (r) => [...room(r), r.member(ALICE, "leave")],
    event: invite(goodSigned()),
  },
  {
    name: "a banned target cannot be invited",
    versions: ALL_VERSIONS,
    state: (r) => room(r, {}, { [BOB]: "ban" }),
    event: invite(goodSigned()),
    reject: "member.invite.3pid.target_banned",
  },
  {
    name: "third_party_invite without signed is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(undefined),
    reject: "member.invite.3pid.signed",
  },
  {
    name: "signed without token is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(identity.privateKey, { mxid: BOB })),
    reject: "member.invite.3pid.mxid_token",
    stateOnly: true, // without a token there is nothing to select
  },
  {
    name: "signed without mxid is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(identity.privateKey, { token: TOKEN })),
    reject: "member.invite.3pid.mxid_token",
  },
  {
    name: "an mxid other than the target is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(identity.privateKey, { mxid: DAVE, token: TOKEN })),
    reject: "member.invite.3pid.mxid",
  },
  {
    name: "a token with no m.room.third_party_invite is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(identity.privateKey, { mxid: BOB, token: "other" })),
    reject: "member.invite.3pid.no_invite",
  },
  {
    name: "only the sender of the third-party invite may redeem it",
    versions: ALL_VERSIONS,
    state: (r) => room(r, {}, { [DAVE]: "join" }),
    event: invite(goodSigned(), DAVE),
    reject: "member.invite.3pid.sender",
  },
  {
    name: "a signature by a key the invite did not publish is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(other.privateKey, { mxid: BOB, token: TOKEN })),
    reject: "member.invite.3pid.signature",
  },
  {
    name: "a signed object altered after signing is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite({ ...goodSigned(), extra: "added later" }),
    reject: "member.invite.3pid.signature",
  },
  {
    name: "a signature under a non-ed25519 key ID is ignored",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite(signedBy(identity.privateKey, { mxid: BOB, token: TOKEN }, "curve25519:0")),
    reject: "member.invite.3pid.signature",
  },
  {
    name: "signed without signatures is rejected",
    versions: ALL_VERSIONS,
    state: (r) => room(r),
    event: invite({ mxid: BOB, token: TOKEN }),
    reject: "member.invite.3pid.signature",
  },
  {
    name: "an invite event with no keys redeems nothing",
    versions: ALL_VERSIONS,
    state: (r) => [...r.standard(), r.state("m.room.third_party_invite", ALICE, { display_name: "x" }, TOKEN)],
    event: invite(goodSigned()),
    reject: "member.invite.3pid.signature",
  },
  // m.room.third_party_invite itself.
  {
    name: "sending m.room.third_party_invite needs only the invite level",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { events: { "m.room.third_party_invite": 100 } }, members: { [DAVE]: "join" } }),
    event: (r) => thirdPartyInviteEvent(r, {}, DAVE),
  },
  {
    name: "sending m.room.third_party_invite below the invite level is rejected",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ levels: { invite: 1 }, members: { [DAVE]: "join" } }),
    event: (r) => thirdPartyInviteEvent(r, {}, DAVE),
    reject: "third_party_invite.power",
  },
  {
    name: "sending m.room.third_party_invite needs a joined sender",
    versions: ALL_VERSIONS,
    state: (r) => r.standard({ members: { [DAVE]: "invite" } }),
    event: (r) => thirdPartyInviteEvent(r, {}, DAVE),
    reject: "sender.not_joined",
  },
];

runTable("third-party invites", rows);
