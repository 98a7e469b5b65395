/**
 * Server signing keys: key IDs (`ed25519:<version>`), generation, and the signing key file format
 * Synapse uses (one `ed25519 <version> <unpadded base64 seed>` line per key) so operators can move a
 * server's keys between implementations.
 */
import { randomBytes } from "node:crypto";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { ed25519, ED25519_SEED_BYTES } from "./ed25519.js";

export const ED25519 = "ed25519";

export interface SigningKey {
  readonly algorithm: typeof ED25519;
  /** The key identifier without the algorithm, e.g. `a_AbCd`. */
  readonly version: string;
  /** `ed25519:<version>`. */
  readonly keyId: string;
  /** 32-byte seed: what the key file stores. */
  readonly seed: Uint8Array;
  /** 64 bytes: seed then public key (libsodium layout). */
  readonly secretKey: Uint8Array;
  /** 32 bytes. */
  readonly publicKey: Uint8Array;
}

export class SigningKeyError extends Error {
  override name = "SigningKeyError";
}

const VERSION = /^[a-zA-Z0-9_]+$/;

/** Key versions: the spec's key identifier grammar, [a-zA-Z0-9_]+. */
export function isValidKeyVersion(version: string): boolean {
  return VERSION.test(version);
}

/** Splits `algorithm:version`; undefined when there is no colon. */
export function parseKeyId(keyId: string): { algorithm: string; version: string } | undefined {
  const colon = keyId.indexOf(":");
  if (colon < 0) return undefined;
  return { algorithm: keyId.slice(0, colon), version: keyId.slice(colon + 1) };
}

export function signingKeyFromSeed(version: string, seed: Uint8Array): SigningKey {
  if (!isValidKeyVersion(version)) throw new SigningKeyError(`invalid key version ${JSON.stringify(version)}`);
  if (seed.byteLength !== ED25519_SEED_BYTES) throw new SigningKeyError(`an ed25519 seed is ${ED25519_SEED_BYTES} bytes`);
  const copy = new Uint8Array(seed);
  const { publicKey, secretKey } = ed25519.keyPairFromSeed(copy);
  return { algorithm: ED25519, version, keyId: `${ED25519}:${version}`, seed: copy, secretKey, publicKey };
}

/**
 * A new random key. Without a version, uses `a_` plus four random letters, as Synapse does, so a
 * regenerated key gets a new ID and remote caches of the old one do not clash.
 */
export function generateSigningKey(version?: string): SigningKey {
  return signingKeyFromSeed(version ?? randomKeyVersion(), randomBytes(ED25519_SEED_BYTES));
}

function randomKeyVersion(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const bytes = randomBytes(4);
  let out = "a_";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** The public key in unpadded base64, as published in `verify_keys`. */
export function publicKeyBase64(key: SigningKey): string {
  return encodeBase64(key.publicKey);
}

/** One key file line, without the newline: `ed25519 <version> <base64 seed>`. */
export function encodeSigningKey(key: SigningKey): string {
  return `${key.algorithm} ${key.version} ${encodeBase64(key.seed)}`;
}

/** The whole key file: one line per key, each ending in a newline (what Synapse writes). */
export function formatSigningKeyFile(keys: readonly SigningKey[]): string {
  return keys.map((key) => `${encodeSigningKey(key)}\n`).join("");
}

/**
 * Reads a signing key file. Blank lines are skipped (Synapse's reader would fail on them, but an
 * editor may add one at the end); anything else that is not a valid ed25519 key line is an error,
 * with the line number and never the key material in the message.
 */
export function parseSigningKeyFile(text: string): SigningKey[] {
  const keys: SigningKey[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new SigningKeyError(`signing key file line ${i + 1}: expected "<algorithm> <version> <seed>"`);
    const [algorithm, version, seedText] = parts as [string, string, string];
    if (algorithm !== ED25519) throw new SigningKeyError(`signing key file line ${i + 1}: unsupported algorithm ${JSON.stringify(algorithm)}`);
    let seed: Buffer;
    try {
      seed = decodeBase64(seedText);
    } catch {
      throw new SigningKeyError(`signing key file line ${i + 1}: the seed is not base64`);
    }
    try {
      keys.push(signingKeyFromSeed(version, seed));
    } catch (error) {
      throw new SigningKeyError(`signing key file line ${i + 1}: ${(error as Error).message}`);
    }
  }
  return keys;
}
