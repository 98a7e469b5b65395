/**
 * Checks of uploaded key objects (client-server API "Key management API" and "Cross-signing"): shape,
 * ownership and signatures. Each failure is the spec's error: 400 M_BAD_JSON for a malformed object,
 * M_INVALID_PARAM for keys of another user or device, M_INVALID_SIGNATURE for a signature that does
 * not verify.
 */
import { MatrixError } from "../../errors.js";
import { decodeBase64 } from "../../protocol/base64.js";
import { canonicalJsonBytes } from "../../protocol/canonical-json.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import { verifyJsonSignature } from "../../protocol/signing.js";

export type CrossSigningUsage = "master" | "self_signing" | "user_signing";

export interface DeviceKeys extends JsonObject {
  user_id: string;
  device_id: string;
  algorithms: string[];
  keys: Record<string, string>;
  signatures: Record<string, Record<string, string>>;
}

function bad(message: string): MatrixError {
  return new MatrixError(400, "M_BAD_JSON", message);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isJsonObject(value) && Object.values(value).every((v) => typeof v === "string");
}

function isSignatures(value: unknown): value is Record<string, Record<string, string>> {
  return isJsonObject(value) && Object.values(value).every(isStringMap);
}

/** An ed25519 public key as unpadded base64 of 32 bytes; undefined if it is not one. */
export function ed25519PublicKey(base64: string): Uint8Array | undefined {
  try {
    const bytes = decodeBase64(base64);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `object` carries a valid signature of `userId` with `ed25519:{keyName}` by `publicKey` (base64). */
export function signedBy(object: JsonObject, userId: string, keyName: string, publicKey: string): boolean {
  const key = ed25519PublicKey(publicKey);
  return key !== undefined && verifyJsonSignature(object, userId, `ed25519:${keyName}`, key);
}

/** Checks a device's identity keys: its own user and device, an ed25519 key and a valid self-signature. */
export function checkDeviceKeys(value: unknown, userId: string, deviceId: string): DeviceKeys {
  if (!isJsonObject(value)) throw bad("device_keys must be an object");
  const { user_id, device_id, algorithms, keys, signatures } = value;
  if (typeof user_id !== "string" || typeof device_id !== "string") throw bad("device_keys needs user_id and device_id");
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === "string")) throw bad("device_keys.algorithms must be a list of strings");
  if (!isStringMap(keys)) throw bad("device_keys.keys must map key IDs to strings");
  if (!isSignatures(signatures)) throw bad("device_keys.signatures must be an object of signatures");
  if (user_id !== userId || device_id !== deviceId) {
    throw new MatrixError(400, "M_INVALID_PARAM", "device_keys are for another user or device");
  }
  const ed25519 = keys[`ed25519:${deviceId}`];
  if (ed25519 === undefined) throw bad(`device_keys.keys has no ed25519:${deviceId} key`);
  if (!signedBy(value, userId, deviceId, ed25519)) throw new MatrixError(400, "M_INVALID_SIGNATURE", "device_keys are not signed by the device's ed25519 key");
  return value as DeviceKeys;
}

export interface ParsedKey {
  algorithm: string;
  keyId: string;
  value: string | JsonObject;
}

/**
 * Checks one-time or fallback keys (`algorithm:key_id` -> an unpadded base64 string or a signed key
 * object). Signed keys must carry a valid signature of the device when its ed25519 key is known.
 */
export function checkOneTimeKeys(value: unknown, field: string, userId: string, deviceId: string, deviceEd25519: string | undefined): ParsedKey[] {
  if (!isJsonObject(value)) throw bad(`${field} must be an object`);
  const out: ParsedKey[] = [];
  for (const [fullKeyId, key] of Object.entries(value)) {
    const colon = fullKeyId.indexOf(":");
    if (colon <= 0 || colon === fullKeyId.length - 1) throw bad(`${field}: ${fullKeyId} is not of the form <algorithm>:<key_id>`);
    if (typeof key !== "string") {
      if (!isJsonObject(key) || typeof key["key"] !== "string") throw bad(`${field}.${fullKeyId} must be a string or an object with a key`);
      if (key["signatures"] !== undefined) {
        if (!isSignatures(key["signatures"])) throw bad(`${field}.${fullKeyId}.signatures is malformed`);
        if (deviceEd25519 !== undefined && !signedBy(key, userId, deviceId, deviceEd25519)) {
          throw new MatrixError(400, "M_INVALID_SIGNATURE", `${field}.${fullKeyId} is not signed by the device`);
        }
      }
    }
    out.push({ algorithm: fullKeyId.slice(0, colon), keyId: fullKeyId.slice(colon + 1), value: key });
  }
  return out;
}

export interface CrossSigningKey extends JsonObject {
  user_id: string;
  usage: string[];
  keys: Record<string, string>;
}

/** Checks a cross-signing key's shape and owner; returns it with its public key (base64). */
export function checkCrossSigningKey(value: unknown, usage: CrossSigningUsage, userId: string): { key: CrossSigningKey; publicKey: string } {
  if (!isJsonObject(value)) throw bad(`${usage} key must be an object`);
  const { user_id, usage: usages, keys, signatures } = value;
  if (typeof user_id !== "string") throw bad(`${usage} key needs a user_id`);
  if (user_id !== userId) throw new MatrixError(400, "M_INVALID_PARAM", `${usage} key is for another user`);
  if (!Array.isArray(usages) || !usages.every((u) => typeof u === "string") || !usages.includes(usage)) {
    throw bad(`${usage} key must list "${usage}" in usage`);
  }
  if (!isStringMap(keys) || Object.keys(keys).length !== 1) throw bad(`${usage} key must have exactly one key`);
  const [keyId, publicKey] = Object.entries(keys)[0] as [string, string];
  if (keyId !== `ed25519:${publicKey}` || ed25519PublicKey(publicKey) === undefined) {
    throw bad(`${usage} key must be an ed25519 key named ed25519:<its unpadded base64 public key>`);
  }
  if (signatures !== undefined && !isSignatures(signatures)) throw bad(`${usage} key signatures are malformed`);
  return { key: value as CrossSigningKey, publicKey };
}

/** The object without `signatures` and `unsigned`: what two uploads of the same key have in common. */
export function unsignedPart(object: JsonObject): JsonObject {
  const { signatures: _s, unsigned: _u, ...rest } = object;
  return rest;
}

/** Whether two JSON values are the same (canonical JSON, so key order does not matter). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  try {
    return canonicalJsonBytes(a).equals(canonicalJsonBytes(b));
  } catch {
    return false;
  }
}
