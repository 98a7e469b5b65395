import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64, encodeBase64 } from "../../src/protocol/base64.js";
import { ed25519, nodeCryptoBackend, sodiumBackend } from "../../src/protocol/ed25519.js";
import type { Ed25519Backend } from "../../src/protocol/ed25519.js";
import {
  encodeSigningKey,
  formatSigningKeyFile,
  generateSigningKey,
  isValidKeyVersion,
  parseSigningKeyFile,
  publicKeyBase64,
  signingKeyFromSeed,
  SigningKeyError,
} from "../../src/protocol/signing-key.js";
import { signJson, verifyJsonSignature } from "../../src/protocol/signing.js";

// content/appendices.md, "Cryptographic Test Vectors".
const SEED = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
const key = signingKeyFromSeed("1", decodeBase64(SEED));

describe("ed25519 backends", () => {
  const backends: Ed25519Backend[] = [nodeCryptoBackend, ...(sodiumBackend ? [sodiumBackend] : [])];

  it("prefers libsodium when it loads", () => {
    assert.equal(ed25519, sodiumBackend ?? nodeCryptoBackend);
    // sodium-native is a dependency of the project; if it stopped loading we want to know.
    assert.ok(sodiumBackend, "sodium-native did not load");
  });

  it("derive the same key pair and signatures from a seed, and verify each other's signatures", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, message) => {
        const pairs = backends.map((b) => b.keyPairFromSeed(seed));
        const signatures = backends.map((b, i) => b.sign(message, pairs[i]!.secretKey));
        for (let i = 1; i < backends.length; i++) {
          assert.deepEqual(Buffer.from(pairs[i]!.publicKey), Buffer.from(pairs[0]!.publicKey));
          assert.deepEqual(Buffer.from(pairs[i]!.secretKey), Buffer.from(pairs[0]!.secretKey));
          assert.deepEqual(Buffer.from(signatures[i]!), Buffer.from(signatures[0]!)); // ed25519 is deterministic
        }
        for (const verifier of backends) {
          for (const signature of signatures) assert.equal(verifier.verify(message, signature, pairs[0]!.publicKey), true);
        }
      }),
      { numRuns: 50 },
    );
  });

  for (const backend of backends) {
    it(`${backend.name}: rejects tampered messages and signatures, and bad lengths without throwing`, () => {
      const pair = backend.keyPairFromSeed(new Uint8Array(32).fill(7));
      const message = Buffer.from("hello");
      const signature = Buffer.from(backend.sign(message, pair.secretKey));
      assert.equal(backend.verify(message, signature, pair.publicKey), true);
      assert.equal(backend.verify(Buffer.from("hellp"), signature, pair.publicKey), false);
      const flipped = Buffer.from(signature);
      flipped[10]! ^= 1;
      assert.equal(backend.verify(message, flipped, pair.publicKey), false);
      assert.equal(backend.verify(message, signature.subarray(0, 63), pair.publicKey), false);
      assert.equal(backend.verify(message, signature, pair.publicKey.subarray(0, 31)), false);
      assert.equal(backend.verify(message, signature, new Uint8Array(32).fill(0xff)), false);
      assert.throws(() => backend.keyPairFromSeed(new Uint8Array(31)), RangeError);
      assert.throws(() => backend.sign(message, new Uint8Array(32)), RangeError);
    });
  }
});

describe("signing keys", () => {
  it("derives the appendix key's public key consistently and formats key IDs", () => {
    assert.equal(key.keyId, "ed25519:1");
    assert.equal(publicKeyBase64(key), encodeBase64(key.publicKey));
    assert.equal(key.publicKey.byteLength, 32);
  });

  it("round-trips Synapse's signing key file format", () => {
    const line = encodeSigningKey(key);
    assert.equal(line, `ed25519 1 ${encodeBase64(decodeBase64(SEED))}`);
    const other = generateSigningKey("a_Xyz9");
    const file = formatSigningKeyFile([key, other]);
    assert.equal(file, `${line}\n${encodeSigningKey(other)}\n`);
    const parsed = parseSigningKeyFile(`${file}\n`);
    assert.deepEqual(parsed.map((k) => k.keyId), ["ed25519:1", "ed25519:a_Xyz9"]);
    assert.deepEqual(Buffer.from(parsed[1]!.publicKey), Buffer.from(other.publicKey));
    // Windows line endings and surrounding blanks are tolerated.
    assert.equal(parseSigningKeyFile(`  ${line}\r\n\r\n`).length, 1);
  });

  it("rejects malformed key files without echoing key material", () => {
    for (const bad of ["ed25519 1", "curve25519 1 AAAA", `ed25519 bad-version ${SEED}`, "ed25519 1 not*base64", "ed25519 1 AAAA"]) {
      assert.throws(() => parseSigningKeyFile(bad), (error: unknown) => {
        assert.ok(error instanceof SigningKeyError);
        assert.ok(!error.message.includes(SEED));
        return true;
      });
    }
  });

  it("generates distinct keys with Synapse-style versions", () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    assert.match(a.version, /^a_[A-Za-z]{4}$/);
    assert.notDeepEqual(Buffer.from(a.seed), Buffer.from(b.seed));
    assert.ok(isValidKeyVersion("a_1"));
    assert.ok(!isValidKeyVersion("a-1"));
    assert.ok(!isValidKeyVersion(""));
    assert.throws(() => signingKeyFromSeed("x:y", new Uint8Array(32)), SigningKeyError);
  });
});

describe("signing JSON (appendices vectors)", () => {
  it("signs {}", () => {
    assert.deepEqual(signJson({}, "domain", key), {
      signatures: {
        domain: {
          "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
        },
      },
    });
  });

  it("signs {one: 1, two: Two}", () => {
    assert.deepEqual(signJson({ one: 1, two: "Two" }, "domain", key), {
      one: 1,
      signatures: {
        domain: {
          "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
        },
      },
      two: "Two",
    });
  });

  it("ignores signatures and unsigned when signing, keeps both, and never mutates the input", () => {
    const input = {
      one: 1,
      two: "Two",
      unsigned: { age_ts: 5 },
      signatures: { other: { "ed25519:x": "abc" }, domain: { "ed25519:0": "old" } },
    };
    const snapshot = structuredClone(input);
    const signed = signJson(input, "domain", key);
    assert.deepEqual(input, snapshot);
    assert.deepEqual(signed.unsigned, { age_ts: 5 });
    assert.deepEqual(signed.signatures, {
      other: { "ed25519:x": "abc" },
      domain: {
        "ed25519:0": "old",
        "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw",
      },
    });
  });

  it("verifies the appendix signatures and rejects anything altered", () => {
    const signed = signJson({ one: 1, two: "Two" }, "domain", key);
    assert.equal(verifyJsonSignature(signed, "domain", "ed25519:1", key.publicKey), true);
    // Unsigned data can change in transit without breaking the signature.
    assert.equal(verifyJsonSignature({ ...signed, unsigned: { age: 9 } }, "domain", "ed25519:1", key.publicKey), true);
    assert.equal(verifyJsonSignature({ ...signed, one: 2 }, "domain", "ed25519:1", key.publicKey), false);
    assert.equal(verifyJsonSignature(signed, "other", "ed25519:1", key.publicKey), false);
    assert.equal(verifyJsonSignature(signed, "domain", "ed25519:2", key.publicKey), false);
    assert.equal(verifyJsonSignature(signed, "domain", "ed25519:1", generateSigningKey().publicKey), false);
    const notBase64 = { ...signed, signatures: { domain: { "ed25519:1": "!!!" } } };
    assert.equal(verifyJsonSignature(notBase64, "domain", "ed25519:1", key.publicKey), false);
    const otherAlgorithm = { ...signed, signatures: { domain: { "curve25519:1": signed.signatures.domain!["ed25519:1"] } } };
    assert.equal(verifyJsonSignature(otherAlgorithm, "domain", "curve25519:1", key.publicKey), false);
    assert.equal(verifyJsonSignature({ one: 1 }, "domain", "ed25519:1", key.publicKey), false);
  });

  it("accepts URL-safe base64 signatures, as some servers send them", () => {
    const signed = signJson({ a: "b" }, "domain", key);
    const urlSafe = Buffer.from(decodeBase64(signed.signatures.domain!["ed25519:1"]!)).toString("base64url");
    const copy = { a: "b", signatures: { domain: { "ed25519:1": urlSafe } } };
    assert.equal(verifyJsonSignature(copy, "domain", "ed25519:1", key.publicKey), true);
  });

  it("is strict canonical JSON unless asked to be lenient", () => {
    const big = { n: 2n ** 60n };
    assert.throws(() => signJson(big, "domain", key));
    const signed = signJson(big, "domain", key, { lenient: true });
    assert.equal(verifyJsonSignature(signed, "domain", "ed25519:1", key.publicKey, { lenient: true }), true);
    assert.equal(verifyJsonSignature(signed, "domain", "ed25519:1", key.publicKey), false);
  });

  it("verifies whatever it signed (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (object) => {
        const signed = signJson(object, "example.org", key);
        assert.equal(verifyJsonSignature(signed, "example.org", key.keyId, key.publicKey), true);
      }),
      { numRuns: 100 },
    );
  });
});
