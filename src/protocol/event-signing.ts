/**
 * Hashing and signing events, and checking received ones (server-server-api "Signing Events",
 * "Validating hashes and signatures on received events"; rooms/fragments/v5-signing-requirements.md).
 *
 * No I/O here: the caller asks `signatureRequirements` which (server, key ID) pairs to fetch, then
 * hands a synchronous lookup over what it fetched to `verifyEventSignatures`.
 */
import type { EventHashes, Pdu } from "./event.js";
import { eventIdFromReferenceHash } from "./event-id.js";
import { encodeBase64 } from "./base64.js";
import { contentHashText, encodeEvent, eventText, referenceText } from "./event-encoding.js";
import type { EncodedEvent } from "./event-encoding.js";
import { contentHashMatches, referenceHashInput, sha256 } from "./hashes.js";
import { domainOfId } from "./identifiers.js";
import { isJsonObject } from "./json.js";
import { redactEvent } from "./redaction.js";
import type { RoomVersion } from "./room-versions.js";
import { ED25519, parseKeyId } from "./signing-key.js";
import type { SigningKey } from "./signing-key.js";
import { signBytes, verifyBytes, withSignature } from "./signing.js";
import type { Signed } from "./signing.js";

/**
 * Adds the content hash and this server's signature to an event (a new object; the input is never
 * modified). The signature covers the redacted event including the new hash, so it stays checkable
 * after redaction. Existing signatures of other servers are kept. Throws CanonicalJsonError for content
 * that is not canonical JSON in this room version.
 */
export function hashAndSignEvent<T extends object>(
  event: T,
  version: RoomVersion,
  serverName: string,
  key: SigningKey,
): T & { hashes: EventHashes } & Signed {
  return hashAndSign(event, version, serverName, key).signed;
}

/** A new event of this server, hashed and signed, with what the encoding pass gave besides. */
export interface NewSignedEvent<T> {
  signed: T & { hashes: EventHashes } & Signed;
  /** The raw reference hash (sha256 of the bytes the signature covers): the event ID of v3+. */
  referenceHash: Buffer;
  /** Canonical JSON of the signed event without `unsigned`: what is stored. */
  json: string;
}

/**
 * As hashAndSignEvent, for an event this server creates and stores: the reference hash and the stored
 * form come from the same encoding pass instead of two more encodings of the event.
 */
export function hashAndSignNewEvent<T extends object>(event: T, version: RoomVersion, serverName: string, key: SigningKey): NewSignedEvent<T> {
  const { signed, hashes, encoded, reference } = hashAndSign(event, version, serverName, key);
  return { signed, referenceHash: sha256(reference), json: eventText(encoded, { hashes, signatures: signed.signatures }) };
}

function hashAndSign<T extends object>(event: T, version: RoomVersion, serverName: string, key: SigningKey) {
  // One encoding pass serves both the content hash and the signed (redacted) form.
  const encoded = encodeEvent(event, !version.strictCanonicalJson);
  const hashes = { sha256: encodeBase64(sha256(contentHashText(encoded))) };
  const reference = Buffer.from(referenceText(encoded, version, hashes), "utf8");
  const signed = withSignature({ ...event, hashes }, serverName, key.keyId, signBytes(reference, key));
  return { signed, hashes, encoded, reference };
}

/**
 * Adds one more server's signature to an already hashed event, e.g. the resident server co-signing a
 * restricted join. The content hash is left as it is.
 */
export function addEventSignature<T extends object>(event: T, version: RoomVersion, serverName: string, key: SigningKey): T & Signed {
  const signature = signBytes(referenceHashInput(event, version), key);
  return withSignature(event, serverName, key.keyId, signature);
}

/** The part after the first `:` of a user or v1 event ID, as Synapse's get_domain_from_id. */
function serverNameOf(id: string): string | undefined {
  return domainOfId(id) || undefined;
}

type Servers = { servers: string[] } | { error: string };

function requiredServers(event: Pdu, version: RoomVersion): Servers {
  const servers = new Set<string>();
  const content = isJsonObject(event.content) ? event.content : {};
  const isMember = event.type === "m.room.member";
  // A third-party invite may be sent by a server other than the sender's: the invite's `signed`
  // block (checked by the auth rules) vouches for it instead, so, as in Synapse, the sender's server
  // is not required to have signed it.
  const isThirdPartyInvite = isMember && content.membership === "invite" && content.third_party_invite !== undefined;
  if (!isThirdPartyInvite) {
    const sender = typeof event.sender === "string" ? serverNameOf(event.sender) : undefined;
    if (sender === undefined) return { error: "sender is not a user ID" };
    servers.add(sender);
  }
  if (version.eventIdFormat === "v1") {
    // v1–2: the server that minted the event ID must have signed too, if it is another one.
    const origin = typeof event.event_id === "string" ? serverNameOf(event.event_id) : undefined;
    if (origin === undefined) return { error: "event_id has no server name" };
    servers.add(origin);
  }
  const via = content.join_authorised_via_users_server;
  if (version.restrictedJoins && isMember && content.membership === "join" && via !== undefined) {
    // A restricted join is vouched for by a resident server, which the auth rules require to have
    // signed it; Synapse checks that signature here with the others.
    const resident = typeof via === "string" ? serverNameOf(via) : undefined;
    if (resident === undefined) return { error: "join_authorised_via_users_server is not a user ID" };
    servers.add(resident);
  }
  return { servers: [...servers] };
}

/** The servers whose signatures an event needs. Throws nothing; an unusable event gives []. */
export function requiredSignatureServers(event: Pdu, version: RoomVersion): string[] {
  const result = requiredServers(event, version);
  return "servers" in result ? result.servers : [];
}

export interface SignatureRequirement {
  readonly serverName: string;
  /** The ed25519 key IDs the event carries for this server: the keys to fetch. */
  readonly keyIds: readonly string[];
  /** Keys must be valid until at least this time: origin_server_ts from v5, 0 before. */
  readonly minimumValidUntilTs: number;
}

function ed25519KeyIds(event: Pdu, serverName: string): string[] {
  const signatures = isJsonObject(event.signatures) ? event.signatures[serverName] : undefined;
  if (!isJsonObject(signatures)) return [];
  return Object.keys(signatures).filter((keyId) => parseKeyId(keyId)?.algorithm === ED25519);
}

function minimumValidUntil(event: Pdu, version: RoomVersion): number {
  return version.enforceKeyValidity ? Number(event.origin_server_ts) : 0;
}

/** What the key ring must look up before `verifyEventSignatures` can decide. */
export function signatureRequirements(event: Pdu, version: RoomVersion): SignatureRequirement[] {
  const minimumValidUntilTs = minimumValidUntil(event, version);
  return requiredSignatureServers(event, version).map((serverName) => ({
    serverName,
    keyIds: ed25519KeyIds(event, serverName),
    minimumValidUntilTs,
  }));
}

export interface VerifyKey {
  /** 32 bytes. */
  readonly publicKey: Uint8Array;
  /**
   * Until when the key may be used (ms): `valid_until_ts` capped as v5-signing-requirements asks, or
   * `expired_ts` for an old verify key.
   */
  readonly validUntilTs: number;
}

/** Synchronous: the caller has already fetched what `signatureRequirements` listed. */
export type VerifyKeyLookup = (serverName: string, keyId: string) => VerifyKey | undefined;

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks that every required server signed the redacted event. Per server, as Synapse does: signatures
 * by unknown keys, or (v5+) keys not valid at origin_server_ts, are skipped; every remaining one must
 * verify, and at least one must. `signedBytes` may be passed when the caller already has them.
 */
export function verifyEventSignatures(
  event: Pdu,
  version: RoomVersion,
  lookup: VerifyKeyLookup,
  signedBytes?: Uint8Array,
): SignatureCheck {
  const required = requiredServers(event, version);
  if ("error" in required) return { ok: false, reason: required.error };
  let bytes = signedBytes;
  if (bytes === undefined) {
    try {
      bytes = referenceHashInput(event, version);
    } catch (error) {
      return { ok: false, reason: `event is not canonical JSON: ${(error as Error).message}` };
    }
  }
  const minimumValidUntilTs = minimumValidUntil(event, version);
  for (const serverName of required.servers) {
    const keyIds = ed25519KeyIds(event, serverName);
    if (keyIds.length === 0) return { ok: false, reason: `not signed by ${serverName}` };
    let verified = 0;
    for (const keyId of keyIds) {
      const key = lookup(serverName, keyId);
      if (key === undefined || key.validUntilTs < minimumValidUntilTs) continue;
      const signature = (event.signatures[serverName] as Record<string, unknown>)[keyId];
      if (typeof signature !== "string" || !verifyBytes(bytes, signature, key.publicKey)) {
        return { ok: false, reason: `bad signature by ${serverName} ${keyId}` };
      }
      verified++;
    }
    if (verified === 0) return { ok: false, reason: `no known valid key of ${serverName} signed the event` };
  }
  return { ok: true };
}

export type EventCheck =
  | { readonly ok: false; readonly reason: string }
  | {
      readonly ok: true;
      readonly eventId: string;
      readonly contentHashValid: boolean;
      /** The event to process further: as received, or its redacted copy when the content hash failed. */
      readonly event: Pdu;
    };

/**
 * Steps 2 and 3 of the checks on a received PDU, with its event ID from the same canonical bytes
 * (the signed bytes are the reference hash input). Signatures failing means drop; a content hash
 * failing means carry on with the redacted copy. Expects a format-checked PDU.
 */
export function checkEventSignaturesAndHashes(event: Pdu, version: RoomVersion, lookup: VerifyKeyLookup): EventCheck {
  let encoded: EncodedEvent;
  let bytes: Buffer;
  try {
    // One encoding pass serves the signed form, the event ID and the content hash.
    encoded = encodeEvent(event, !version.strictCanonicalJson);
    bytes = Buffer.from(referenceText(encoded, version), "utf8");
  } catch (error) {
    return { ok: false, reason: `event is not canonical JSON: ${(error as Error).message}` };
  }
  const signatures = verifyEventSignatures(event, version, lookup, bytes);
  if (!signatures.ok) return signatures;
  // From v3 the ID is the reference hash, which covers exactly the signed bytes.
  const eventId = version.eventIdFormat === "v1" ? (event.event_id as string) : eventIdFromReferenceHash(sha256(bytes), version);
  const contentHashValid = contentHashMatches(event, sha256(contentHashText(encoded)));
  return {
    ok: true,
    eventId,
    contentHashValid,
    event: contentHashValid ? event : redactEvent(event, version, { keepUnsigned: true }),
  };
}
