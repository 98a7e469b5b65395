/**
 * matrix-js-sdk with its Rust crypto (matrix-sdk-crypto-wasm) as a real end-to-end-encrypting client of a test
 * server: one in-memory crypto store per device (`initRustCrypto({ useIndexedDB: false })`), secret-storage
 * keys kept in memory as a user would type them in, a UIA callback that re-enters the password, and waits for
 * an event to be decrypted or to fail to decrypt.
 */
import "./node22-polyfills.js";
import type { AuthDict, ICreateClientOpts, IStartClientOpts, MatrixEvent, UIAuthCallback } from "matrix-js-sdk";
import {
  type CryptoApi,
  type CryptoCallbacks,
  decodeRecoveryKey,
  type GeneratedSecretStorageKey,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import type { SecretStorageKeyDescription } from "matrix-js-sdk/lib/secret-storage.js";
import { ApiClient } from "./client.js";
import { SdkClient, type SdkCredentials, type WaitOptions } from "./sdk-client.js";

const ENCRYPTED = "m.room.encrypted";

/** The secret-storage keys a device knows: by key ID, and one typed in without its ID (a recovery key). */
class SecretStorageKeyring {
  readonly byId = new Map<string, Uint8Array<ArrayBuffer>>();
  recoveryKey: Uint8Array<ArrayBuffer> | undefined;

  /** What the SDK's getSecretStorageKey callback answers: a key we know among those it asks for. */
  lookup(keys: Record<string, SecretStorageKeyDescription>): [string, Uint8Array<ArrayBuffer>] | null {
    const ids = Object.keys(keys);
    for (const id of ids) {
      const key = this.byId.get(id);
      if (key) return [id, key];
    }
    // A recovery key is the key of the account's default secret-storage key; the SDK asks for one at a time.
    if (this.recoveryKey && ids[0] !== undefined) return [ids[0], this.recoveryKey];
    return null;
  }
}

export class CryptoClient extends SdkClient {
  private readonly keyring: SecretStorageKeyring;

  constructor(
    baseUrl: string,
    credentials: SdkCredentials,
    readonly password: string,
    options: Partial<ICreateClientOpts> = {},
  ) {
    const keyring = new SecretStorageKeyring();
    const cryptoCallbacks: CryptoCallbacks = {
      getSecretStorageKey: async ({ keys }) => keyring.lookup(keys),
      cacheSecretStorageKey: (keyId, _info, key) => {
        keyring.byId.set(keyId, key);
      },
    };
    super(baseUrl, credentials, { cryptoCallbacks, verificationMethods: ["m.sas.v1"], ...options });
    this.keyring = keyring;
  }

  get deviceId(): string {
    return this.credentials.deviceId;
  }

  /** The crypto API; there is one once start() has run. */
  get crypto(): CryptoApi {
    const crypto = this.client.getCrypto();
    if (!crypto) throw new Error(`${this.userId}: crypto not initialised`);
    return crypto;
  }

  /** Initialises the Rust crypto with an in-memory store, then syncs until PREPARED. */
  override async start(options: IStartClientOpts = {}): Promise<void> {
    await this.client.initRustCrypto({ useIndexedDB: false });
    await super.start(options);
  }

  /**
   * Resolves once the server hands out this device's identity keys (`/keys/query`) after the client
   * uploaded them: before that, nobody can encrypt for this device.
   */
  async waitForDeviceKeysOnServer(options: WaitOptions = {}): Promise<void> {
    const api = new ApiClient(this.baseUrl, this.credentials.accessToken);
    const deadline = Date.now() + (options.timeoutMs ?? 20_000);
    let last = "";
    while (Date.now() < deadline) {
      const uploaded = this.requests.some((r) => r.method === "POST" && r.url.pathname.endsWith("/keys/upload") && r.status === 200);
      if (uploaded) {
        const answer = await api.post<{ device_keys?: Record<string, Record<string, unknown>> }>("/_matrix/client/v3/keys/query", {
          device_keys: { [this.userId]: [this.deviceId] },
        });
        last = `${answer.status} ${JSON.stringify(answer.body)}`;
        if (answer.status === 200 && answer.body.device_keys?.[this.userId]?.[this.deviceId]) return;
      } else {
        last = `no successful POST /keys/upload yet (${this.keyRequestsSummary()})`;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.userId}/${this.deviceId}: device keys not on the server: ${last}`);
  }

  /** Method, path and status of the key-related requests so far, for failure messages. */
  keyRequestsSummary(): string {
    return this.requests
      .filter((r) => /\/(keys|sendToDevice|room_keys)\//.test(r.url.pathname))
      .map((r) => `${r.method} ${r.url.pathname.replace(/^\/_matrix\/client\/[^/]+/, "")} ${r.status}`)
      .join(", ");
  }

  /**
   * Like waitFor, for checks that must ask the crypto (whose getters are async): resolves with the first
   * answer that is not undefined, null or false, polling every 100 ms.
   */
  async waitForAsync<T>(description: string, check: () => Promise<T | undefined | null | false>, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`${this.userId}/${this.deviceId}: timed out after ${timeoutMs} ms waiting for ${description}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The event as this client's room shows it, if it has it. */
  event(roomId: string, eventId: string): MatrixEvent | undefined {
    return this.client.getRoom(roomId)?.findEventById(eventId);
  }

  /** Resolves with the event once this client has decrypted it. */
  waitForDecrypted(roomId: string, eventId: string, options: WaitOptions = {}): Promise<MatrixEvent> {
    return this.waitForEvent(
      `event ${eventId} decrypted`,
      roomId,
      eventId,
      () => {
        const event = this.event(roomId, eventId);
        if (!event || event.isBeingDecrypted() || event.isDecryptionFailure()) return undefined;
        return event.getType() !== ENCRYPTED && event.getClearContent() ? event : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 20_000 },
    );
  }

  /** Resolves with the event once this client has tried to decrypt it and failed. */
  waitForDecryptionFailure(roomId: string, eventId: string, options: WaitOptions = {}): Promise<MatrixEvent> {
    return this.waitForEvent(
      `event ${eventId} failing to decrypt`,
      roomId,
      eventId,
      () => {
        const event = this.event(roomId, eventId);
        return event && !event.isBeingDecrypted() && event.isDecryptionFailure() ? event : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 20_000 },
    );
  }

  /** waitFor, saying on timeout what state the event was in by then. */
  private waitForEvent(description: string, roomId: string, eventId: string, check: () => MatrixEvent | undefined, options: WaitOptions): Promise<MatrixEvent> {
    return this.waitFor(description, check, options).catch((error: Error) => {
      throw new Error(`${error.message} (${this.describe(roomId, eventId)})`);
    });
  }

  /** The state of an event, for timeout messages. */
  private describe(roomId: string, eventId: string): string {
    const event = this.event(roomId, eventId);
    if (!event) return this.client.getRoom(roomId) ? "not in the room's timeline" : "room unknown";
    if (event.isDecryptionFailure()) return `decryption failure ${event.decryptionFailureReason}`;
    return `type ${event.getType()}, encrypted ${event.isEncrypted()}`;
  }

  /** The user-interactive-auth callback a client shows: try without auth, then with the password. */
  passwordAuth<T>(): UIAuthCallback<T> {
    return passwordAuth(this.userId, this.password);
  }

  /** The user types in their recovery key (the encoded form shown when it was created). */
  enterRecoveryKey(encoded: string): void {
    this.keyring.recoveryKey = decodeRecoveryKey(encoded);
  }
}

/**
 * UIA by password, as Element does it: the request first goes without `auth` (the server may not need any,
 * e.g. for the first cross-signing keys) and, on a 401 listing the flows, again with the password stage in
 * the session the server opened.
 */
export function passwordAuth<T>(userId: string, password: string): UIAuthCallback<T> {
  return async (makeRequest) => {
    try {
      return await makeRequest(null);
    } catch (error) {
      const { httpStatus, data } = error as { httpStatus?: number; data?: { session?: string; flows?: unknown } };
      if (httpStatus !== 401 || !data?.flows) throw error;
      const auth: AuthDict = { type: "m.login.password", identifier: { type: "m.id.user", user: userId }, password, ...(data.session ? { session: data.session } : {}) };
      return makeRequest(auth);
    }
  };
}

/** A new random secret-storage key, as `createSecretStorageKey` hands it to `bootstrapSecretStorage`. */
export async function newSecretStorageKey(crypto: CryptoApi): Promise<GeneratedSecretStorageKey & { encodedPrivateKey: string }> {
  const key = await crypto.createRecoveryKeyFromPassphrase();
  if (!key.encodedPrivateKey) throw new Error("the SDK made a recovery key without its encoded form");
  return { ...key, encodedPrivateKey: key.encodedPrivateKey };
}
