/**
 * Signing JSON and checking a signature (appendices: "Signing JSON", "Signing Details", "Checking for
 * a Signature"): the signature covers the canonical JSON of the object without `signatures` and
 * `unsigned`; it is stored under `signatures[entity][keyId]` next to any existing signatures.
 */
import { decodeBase64Any, encodeBase64 } from "./base64.js";
import { canonicalJsonBytes } from "./canonical-json.js";
import { ed25519 } from "./ed25519.js";
import { isJsonObject } from "./json.js";
import type { JsonObject } from "./json.js";
import { ED25519, parseKeyId } from "./signing-key.js";
import type { SigningKey } from "./signing-key.js";

export interface JsonSigningOptions {
  /**
   * Accept integers outside ±(2^53−1) and floats. Only for events of room versions 1–5, which may
   * hold them; everything else is signed and checked as strict canonical JSON. Default false.
   */
  lenient?: boolean;
}

/** `signatures`: entity -> key ID -> unpadded base64 signature. */
export interface Signed {
  signatures: Record<string, Record<string, string>>;
}

/** The bytes a signature covers: canonical JSON without `signatures` and `unsigned`. */
export function signedBytes(object: object, options: JsonSigningOptions = {}): Buffer {
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object as JsonObject;
  return canonicalJsonBytes(rest, { lenient: options.lenient ?? false });
}

/** Signs bytes, returning the unpadded base64 signature. */
export function signBytes(bytes: Uint8Array, key: SigningKey): string {
  return encodeBase64(ed25519.sign(bytes, key.secretKey));
}

/**
 * Checks one base64 signature over bytes. False, never an exception, for a signature that is not
 * base64 (in either alphabet: some servers send URL-safe), has the wrong length, or does not verify.
 */
export function verifyBytes(bytes: Uint8Array, signature: string, publicKey: Uint8Array): boolean {
  let raw: Buffer;
  try {
    raw = decodeBase64Any(signature);
  } catch {
    return false;
  }
  return ed25519.verify(bytes, raw, publicKey);
}

/** Adds `entity`'s signature to a copy of `object`; the input is never modified. */
export function signJson<T extends object>(object: T, entity: string, key: SigningKey, options: JsonSigningOptions = {}): T & Signed {
  const signature = signBytes(signedBytes(object, options), key);
  return withSignature(object, entity, key.keyId, signature);
}

/** A copy of `object` with one more signature; other entities' and keys' signatures are kept. */
export function withSignature<T extends object>(object: T, entity: string, keyId: string, signature: string): T & Signed {
  const existing = (object as { signatures?: unknown }).signatures;
  const signatures: Record<string, Record<string, string>> = {};
  if (isJsonObject(existing)) {
    for (const [name, entry] of Object.entries(existing)) {
      if (isJsonObject(entry)) signatures[name] = { ...(entry as Record<string, string>) };
    }
  }
  signatures[entity] = { ...signatures[entity], [keyId]: signature };
  return { ...object, signatures };
}

/** The signature `entity` made with `keyId`, if the object carries one as a string. */
export function getSignature(object: object, entity: string, keyId: string): string | undefined {
  const signatures = (object as { signatures?: unknown }).signatures;
  if (!isJsonObject(signatures)) return undefined;
  const entry = signatures[entity];
  if (!isJsonObject(entry)) return undefined;
  const signature = entry[keyId];
  return typeof signature === "string" ? signature : undefined;
}

/**
 * Whether `object` carries a valid signature by `entity` with `keyId` under `publicKey`. Any failure
 * (no such signature, an algorithm other than ed25519, bad base64, JSON that is not canonical
 * encodable, a wrong signature) is false.
 */
export function verifyJsonSignature(
  object: object,
  entity: string,
  keyId: string,
  publicKey: Uint8Array,
  options: JsonSigningOptions = {},
): boolean {
  if (parseKeyId(keyId)?.algorithm !== ED25519) return false;
  const signature = getSignature(object, entity, keyId);
  if (signature === undefined) return false;
  let bytes: Buffer;
  try {
    bytes = signedBytes(object, options);
  } catch {
    return false;
  }
  return verifyBytes(bytes, signature, publicKey);
}
