/**
 * Ed25519 behind one small interface, so the rest of the protocol library never cares which library
 * does the arithmetic.
 *
 * libsodium (sodium-native) is preferred: it measured about twice as fast as node:crypto for both
 * signing and verifying, and federation verifies every received event. It is a native module, so it
 * may be missing or fail to load (another platform, a stripped deployment); then node:crypto, which
 * always has ed25519, takes over with identical results (the tests check both agree).
 *
 * The native module is loaded with a guarded dynamic import at module load time (top-level await).
 * `createRequire` would need `node:module`, which the layer rules keep out of src/protocol/.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import type { KeyObject } from "node:crypto";

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
/** libsodium's secret key layout: the 32-byte seed followed by the 32-byte public key. */
export const ED25519_SECRET_KEY_BYTES = 64;
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519KeyPair {
  /** 32 bytes. */
  readonly publicKey: Uint8Array;
  /** 64 bytes: seed then public key. */
  readonly secretKey: Uint8Array;
}

export interface Ed25519Backend {
  readonly name: string;
  sign(message: Uint8Array, secretKey64: Uint8Array): Uint8Array;
  /** False (never an exception) for a signature or key of the wrong length or a bad signature. */
  verify(message: Uint8Array, signature: Uint8Array, publicKey32: Uint8Array): boolean;
  keyPairFromSeed(seed32: Uint8Array): Ed25519KeyPair;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== length) {
    throw new RangeError(`${what} must be ${length} bytes`);
  }
}

// ---- node:crypto ---------------------------------------------------------------------------------

// DER headers that wrap a raw ed25519 seed (PKCS#8 PrivateKeyInfo, RFC 8410) and a raw public key
// (SubjectPublicKeyInfo): node:crypto only imports keys in these container formats.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

// Building a KeyObject costs more than a signature, so keep them. Signing keys are long-lived
// objects (identity lookup suffices); verify keys often arrive as freshly decoded bytes from a key
// ring, so they are also found by value in a small bounded map.
const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeysByIdentity = new WeakMap<Uint8Array, KeyObject>();
const publicKeysByValue = new Map<string, KeyObject>();
const MAX_CACHED_PUBLIC_KEYS = 1024;

function nodePrivateKey(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey);
  if (key === undefined) {
    const seed = secretKey.subarray(0, ED25519_SEED_BYTES);
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
    privateKeys.set(secretKey, key);
  }
  return key;
}

function nodePublicKey(publicKey: Uint8Array): KeyObject {
  let key = publicKeysByIdentity.get(publicKey);
  if (key !== undefined) return key;
  const text = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex");
  key = publicKeysByValue.get(text);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    if (publicKeysByValue.size >= MAX_CACHED_PUBLIC_KEYS) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = publicKeysByValue.keys().next().value;
      if (oldest !== undefined) publicKeysByValue.delete(oldest);
    }
    publicKeysByValue.set(text, key);
  }
  publicKeysByIdentity.set(publicKey, key);
  return key;
}

export const nodeCryptoBackend: Ed25519Backend = {
  name: "node:crypto",
  sign(message, secretKey64) {
    checkLength(secretKey64, ED25519_SECRET_KEY_BYTES, "secret key");
    return nodeSign(null, message, nodePrivateKey(secretKey64));
  },
  verify(message, signature, publicKey32) {
    if (signature.byteLength !== ED25519_SIGNATURE_BYTES || publicKey32.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
      return false;
    }
    try {
      return nodeVerify(null, message, nodePublicKey(publicKey32), signature);
    } catch {
      return false; // a public key that is not a curve point
    }
  },
  keyPairFromSeed(seed32) {
    checkLength(seed32, ED25519_SEED_BYTES, "seed");
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed32]), format: "der", type: "pkcs8" });
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
    const secretKey = new Uint8Array(ED25519_SECRET_KEY_BYTES);
    secretKey.set(seed32, 0);
    secretKey.set(publicKey, ED25519_SEED_BYTES);
    privateKeys.set(secretKey, privateKey);
    return { publicKey, secretKey };
  },
};

// ---- libsodium -----------------------------------------------------------------------------------

/** The part of sodium-native's API used here (the package ships no type declarations). */
interface SodiumNative {
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
}

function makeSodiumBackend(sodium: SodiumNative): Ed25519Backend {
  return {
    name: "sodium-native",
    sign(message, secretKey64) {
      checkLength(secretKey64, ED25519_SECRET_KEY_BYTES, "secret key");
      const signature = Buffer.allocUnsafe(ED25519_SIGNATURE_BYTES);
      sodium.crypto_sign_detached(signature, message, secretKey64);
      return signature;
    },
    verify(message, signature, publicKey32) {
      // sodium-native asserts (throws) on wrong lengths; a bad signature from the network is a
      // plain "no".
      if (signature.byteLength !== ED25519_SIGNATURE_BYTES || publicKey32.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
        return false;
      }
      return sodium.crypto_sign_verify_detached(signature, message, publicKey32);
    },
    keyPairFromSeed(seed32) {
      checkLength(seed32, ED25519_SEED_BYTES, "seed");
      const publicKey = new Uint8Array(ED25519_PUBLIC_KEY_BYTES);
      const secretKey = new Uint8Array(ED25519_SECRET_KEY_BYTES);
      sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed32);
      return { publicKey, secretKey };
    },
  };
}

async function loadSodium(): Promise<Ed25519Backend | undefined> {
  try {
    // A specifier in a variable keeps TypeScript from demanding type declarations for the package.
    const specifier = "sodium-native";
    const loaded = (await import(specifier)) as { default?: SodiumNative } & Partial<SodiumNative>;
    const sodium = (loaded.default ?? loaded) as SodiumNative;
    if (typeof sodium.crypto_sign_detached !== "function") return undefined;
    const backend = makeSodiumBackend(sodium);
    // Prove the binding works before trusting it with every signature.
    const pair = backend.keyPairFromSeed(new Uint8Array(ED25519_SEED_BYTES));
    const probe = new Uint8Array([1, 2, 3]);
    if (!backend.verify(probe, backend.sign(probe, pair.secretKey), pair.publicKey)) return undefined;
    return backend;
  } catch {
    return undefined;
  }
}

/** The libsodium backend, or undefined when the native module could not be loaded. */
export const sodiumBackend: Ed25519Backend | undefined = await loadSodium();

/** The backend in use: libsodium when available, node:crypto otherwise. */
export const ed25519: Ed25519Backend = sodiumBackend ?? nodeCryptoBackend;
