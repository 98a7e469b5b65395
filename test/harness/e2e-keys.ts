/** Key material a test device signs with: device keys, one-time and fallback keys, cross-signing keys. */
import { generateSigningKey, publicKeyBase64, type SigningKey } from "../../src/protocol/signing-key.js";
import { signBytes, signedBytes, withSignature } from "../../src/protocol/signing.js";

type Json = Record<string, unknown>;

export class TestKeyPair {
  private readonly key: SigningKey = generateSigningKey("test");
  readonly publicKey = publicKeyBase64(this.key);

  /** `object` with this key's signature as `userId`'s `ed25519:{keyName}`. */
  sign<T extends Json>(object: T, userId: string, keyName: string): T {
    return withSignature(object, userId, `ed25519:${keyName}`, signBytes(signedBytes(object), this.key)) as unknown as T;
  }
}

export class TestDevice {
  readonly ed25519 = new TestKeyPair();
  private nextKey = 0;

  constructor(
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  deviceKeys(extra: Json = {}): Json {
    const unsigned = {
      user_id: this.userId,
      device_id: this.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
      keys: { [`curve25519:${this.deviceId}`]: new TestKeyPair().publicKey, [`ed25519:${this.deviceId}`]: this.ed25519.publicKey },
      ...extra,
    };
    return this.ed25519.sign(unsigned, this.userId, this.deviceId);
  }

  /** `count` signed curve25519 one-time keys with fresh IDs. */
  oneTimeKeys(count: number): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (let i = 0; i < count; i++) out[`signed_curve25519:AAAA${this.nextKey++}`] = this.signedKey();
    return out;
  }

  fallbackKey(): Record<string, Json> {
    return { [`signed_curve25519:FB${this.nextKey++}`]: this.signedKey({ fallback: true }) };
  }

  private signedKey(extra: Json = {}): Json {
    return this.ed25519.sign({ key: new TestKeyPair().publicKey, ...extra }, this.userId, this.deviceId);
  }
}

/** A user's three cross-signing keys, the self-signing and user-signing ones signed by the master. */
export class TestCrossSigning {
  readonly master = new TestKeyPair();
  readonly selfSigning = new TestKeyPair();
  readonly userSigning = new TestKeyPair();

  constructor(readonly userId: string) {}

  private keyObject(usage: string, pair: TestKeyPair): Json {
    return { user_id: this.userId, usage: [usage], keys: { [`ed25519:${pair.publicKey}`]: pair.publicKey } };
  }

  masterKey(): Json {
    return this.keyObject("master", this.master);
  }

  selfSigningKey(): Json {
    return this.master.sign(this.keyObject("self_signing", this.selfSigning), this.userId, this.master.publicKey);
  }

  userSigningKey(): Json {
    return this.master.sign(this.keyObject("user_signing", this.userSigning), this.userId, this.master.publicKey);
  }

  uploadBody(): Json {
    return { master_key: this.masterKey(), self_signing_key: this.selfSigningKey(), user_signing_key: this.userSigningKey() };
  }
}
