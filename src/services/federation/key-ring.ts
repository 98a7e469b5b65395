/**
 * Other servers' signing keys (server-server API "Retrieving server keys"): from memory, then the
 * database, then the server itself (`/_matrix/key/v2/server`), then — only if the operator named
 * some — notary servers (`/_matrix/key/v2/query`). A key document is accepted only when signed by
 * each of its verify keys (and, from a notary, by the notary); its keys are kept until their
 * validity ends. Failed fetches are remembered briefly so an unreachable server is not asked on
 * every request.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import { verifyJsonSignature } from "../../protocol/signing.js";
import type { ServerKeyStore, StoredServerKey } from "../../storage/server-key-store.js";
import type { Clock } from "../clock.js";
import { ed25519PublicKey } from "../e2ee/key-validation.js";
import type { FederationClient } from "./federation-client.js";
import type { ServerKeyPublisher } from "./server-key-publisher.js";
import { lruCache } from "../../lru.js";

export interface TrustedKeyServer {
  server_name: string;
  verify_keys?: Record<string, string> | undefined;
}

export class KeyNotFoundError extends Error {
  override name = "KeyNotFoundError";
}

/** How long a failed fetch of a server's keys keeps us from asking it again. */
const FAILURE_BACKOFF_MS = 30_000;

function usableAt(key: StoredServerKey, at: number): boolean {
  return key.expiredTs === null ? key.validUntilTs >= at : key.expiredTs > at;
}

export class KeyRing {
  private readonly cache = lruCache<string, StoredServerKey>(10_000);
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly failedAt = lruCache<string, number>(10_000);

  constructor(
    private readonly store: ServerKeyStore,
    private readonly publisher: ServerKeyPublisher,
    private readonly client: FederationClient,
    private readonly clock: Clock,
    private readonly serverName: string,
    private readonly notaries: readonly TrustedKeyServer[],
  ) {}

  /** The public key `serverName` signs with as `keyId`, usable at time `at`; throws KeyNotFoundError. */
  async verifyKey(serverName: string, keyId: string, at: number): Promise<Uint8Array> {
    if (serverName === this.serverName) {
      const own = this.publisher.ownKey(keyId);
      if (own) return own;
      throw new KeyNotFoundError(`${keyId} is not one of this server's keys`);
    }
    const known = await this.known(serverName, keyId);
    if (known && usableAt(known, at)) return decoded(known);
    await this.refresh(serverName);
    const fresh = await this.known(serverName, keyId);
    if (fresh && usableAt(fresh, at)) return decoded(fresh);
    throw new KeyNotFoundError(`no key ${keyId} of ${serverName} valid at ${at}`);
  }

  /** A server's latest key document valid at least until `minimumValidUntil` (notary answers), fetching it if needed. */
  async document(serverName: string, minimumValidUntil: number): Promise<JsonObject | undefined> {
    if (serverName === this.serverName) return this.publisher.keyDocument();
    let stored = await this.store.document(serverName);
    if (!stored || stored.validUntilTs < minimumValidUntil) {
      await this.refresh(serverName);
      stored = await this.store.document(serverName);
    }
    return stored ? (JSON.parse(stored.json) as JsonObject) : undefined;
  }

  private async known(serverName: string, keyId: string): Promise<StoredServerKey | undefined> {
    const cacheKey = `${serverName}\u0000${keyId}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      key = await this.store.get(serverName, keyId);
      if (key) this.cache.set(cacheKey, key);
    }
    return key;
  }

  /** Fetches a server's keys once at a time per server, not again within the failure backoff. */
  private async refresh(serverName: string): Promise<void> {
    const failed = this.failedAt.get(serverName);
    if (failed !== undefined && this.clock.now() - failed < FAILURE_BACKOFF_MS) return;
    let pending = this.fetching.get(serverName);
    if (!pending) {
      pending = this.fetch(serverName).finally(() => this.fetching.delete(serverName));
      this.fetching.set(serverName, pending);
    }
    await pending;
  }

  private async fetch(serverName: string): Promise<void> {
    try {
      const answer = await this.client.request(serverName, "GET", "/_matrix/key/v2/server", { signed: false, maxBytes: 256 * 1024 });
      await this.accept(serverName, answer, undefined);
      this.failedAt.delete(serverName);
      return;
    } catch {
      // Unreachable or an invalid document: notaries, if any, are asked next.
    }
    for (const notary of this.notaries) {
      try {
        const answer = await this.client.request(notary.server_name, "POST", "/_matrix/key/v2/query", {
          signed: false,
          body: { server_keys: { [serverName]: {} } },
          maxBytes: 1024 * 1024,
        });
        const documents = isJsonObject(answer) && Array.isArray(answer["server_keys"]) ? answer["server_keys"] : [];
        for (const document of documents) await this.accept(serverName, document, notary);
        if (documents.length > 0) {
          this.failedAt.delete(serverName);
          return;
        }
      } catch {
        // try the next notary
      }
    }
    this.failedAt.set(serverName, this.clock.now());
  }

  /** Checks a key document (self-signed by every verify key; signed by the notary it came through) and stores it. */
  private async accept(serverName: string, document: JsonValue, notary: TrustedKeyServer | undefined): Promise<void> {
    if (!isJsonObject(document) || document["server_name"] !== serverName) throw new KeyNotFoundError("key document of another server");
    const validUntil = document["valid_until_ts"];
    const verifyKeys = document["verify_keys"];
    if (typeof validUntil !== "number" || !isJsonObject(verifyKeys)) throw new KeyNotFoundError("malformed key document");
    const keys: StoredServerKey[] = [];
    for (const [keyId, entry] of Object.entries(verifyKeys)) {
      const publicKey = isJsonObject(entry) && typeof entry["key"] === "string" ? entry["key"] : undefined;
      const raw = publicKey === undefined ? undefined : ed25519PublicKey(publicKey);
      if (publicKey === undefined || !raw || !verifyJsonSignature(document, serverName, keyId, raw)) throw new KeyNotFoundError(`${keyId} does not sign the document`);
      keys.push({ serverName, keyId, publicKey, validUntilTs: validUntil, expiredTs: null });
    }
    const old = document["old_verify_keys"];
    for (const [keyId, entry] of Object.entries(isJsonObject(old) ? old : {})) {
      if (isJsonObject(entry) && typeof entry["key"] === "string" && typeof entry["expired_ts"] === "number" && ed25519PublicKey(entry["key"])) {
        keys.push({ serverName, keyId, publicKey: entry["key"], validUntilTs: entry["expired_ts"], expiredTs: entry["expired_ts"] });
      }
    }
    if (notary) await this.checkNotarySignature(document, notary);
    await this.store.putDocument(serverName, JSON.stringify(document), validUntil, keys, this.clock.now());
    for (const key of keys) this.cache.delete(`${serverName}\u0000${key.keyId}`);
  }

  private async checkNotarySignature(document: JsonObject, notary: TrustedKeyServer): Promise<void> {
    const signatures = isJsonObject(document["signatures"]) ? document["signatures"][notary.server_name] : undefined;
    for (const keyId of Object.keys(isJsonObject(signatures) ? signatures : {})) {
      const configured = notary.verify_keys?.[keyId];
      let publicKey: Uint8Array | undefined;
      if (configured !== undefined) publicKey = ed25519PublicKey(configured);
      else if (!notary.verify_keys) publicKey = await this.verifyKey(notary.server_name, keyId, this.clock.now()).catch(() => undefined);
      if (publicKey && verifyJsonSignature(document, notary.server_name, keyId, publicKey)) return;
    }
    throw new KeyNotFoundError(`the document is not signed by the notary ${notary.server_name}`);
  }
}

function decoded(key: StoredServerKey): Uint8Array {
  const raw = ed25519PublicKey(key.publicKey);
  if (!raw) throw new KeyNotFoundError(`stored key ${key.keyId} of ${key.serverName} is malformed`);
  return raw;
}
