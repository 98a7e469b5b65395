/**
 * POST /keys/upload and /keys/claim, and the counts /sync reports: a device publishes its identity,
 * one-time and fallback keys; others claim one-time keys (each handed out once) or, when none is
 * left, the fallback key.
 */
import { MatrixError } from "../../errors.js";
import type { JsonObject, JsonValue } from "../../protocol/json.js";
import type { Db, Tx } from "../../storage/db.js";
import { wantedKey, type ClaimedKey, type E2eKeyStore, type KeySyncSummary, type UploadedKey } from "../../storage/e2e-key-store.js";
import { ReadBatcher } from "../read-batcher.js";
import { KeyCountCache } from "./key-count-cache.js";
import type { Requester } from "../accounts/requester.js";
import type { DeviceLists } from "./device-lists.js";
import type { QueryOptions } from "./key-query.js";
import { DEFAULT_REMOTE_TIMEOUT_MS, serverOf, type RemoteKeys } from "./remote-keys.js";
import { checkDeviceKeys, checkOneTimeKeys, sameJson, type ParsedKey } from "./key-validation.js";

export interface UploadKeysBody {
  device_keys?: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

type ClaimResult = Record<string, Record<string, Record<string, unknown>>>;

function toUploaded(keys: readonly ParsedKey[]): UploadedKey[] {
  return keys.map((k) => ({ algorithm: k.algorithm, keyId: k.keyId, json: JSON.stringify(k.value) }));
}

export class DeviceKeysService {
  private remote: RemoteKeys | undefined;
  /** The devices of the members one message wakes each read their key counts: one statement for all (read-batcher.ts). */
  private readonly syncSummaries: ReadBatcher<{ userId: string; deviceId: string }, KeySyncSummary>;
  /** What syncSummaries read, kept until the device's keys change (every writer here tells it first). */
  readonly keyCounts = new KeyCountCache();

  constructor(
    private readonly db: Db,
    private readonly store: E2eKeyStore,
    private readonly deviceLists: DeviceLists,
    private readonly serverName: string,
  ) {
    this.syncSummaries = new ReadBatcher((devices) => this.store.syncSummaries(devices), db.statementsAreRoundTrips);
  }

  /** POST /keys/upload: stores what the device sent, all or nothing; answers its one-time key counts. */
  async upload(requester: Requester, body: UploadKeysBody): Promise<{ one_time_key_counts: Record<string, number> }> {
    const deviceId = requester.deviceId;
    if (deviceId === undefined) throw new MatrixError(400, "M_UNKNOWN_DEVICE", "This access token has no device");
    return this.db.transaction(async (tx) => ({ one_time_key_counts: await this.storeKeys(tx, requester.userId, deviceId, body) }));
  }

  /** Checks and stores a device's keys in `tx` (its own upload, or a dehydrated device's); returns its one-time key counts. */
  async storeKeys(tx: Tx, userId: string, deviceId: string, body: UploadKeysBody): Promise<Record<string, number>> {
    this.keyCounts.changing(tx, userId, [deviceId]);
    const deviceKeys = body.device_keys === undefined || body.device_keys === null ? undefined : checkDeviceKeys(body.device_keys, userId, deviceId);
    const storedJson = await this.store.deviceKeys(userId, deviceId, tx.db);
    const stored = storedJson === undefined ? undefined : (JSON.parse(storedJson) as JsonObject);
    // One-time and fallback key signatures are checked against the device key in force after this upload.
    const signingKey = (deviceKeys ?? (stored as { keys?: Record<string, string> } | undefined))?.keys?.[`ed25519:${deviceId}`];
    const oneTimeKeys = body.one_time_keys === undefined || body.one_time_keys === null ? [] : checkOneTimeKeys(body.one_time_keys, "one_time_keys", userId, deviceId, signingKey);
    const fallbackKeys = body.fallback_keys === undefined || body.fallback_keys === null ? [] : checkOneTimeKeys(body.fallback_keys, "fallback_keys", userId, deviceId, signingKey);
    if (new Set(fallbackKeys.map((k) => k.algorithm)).size !== fallbackKeys.length) {
      throw new MatrixError(400, "M_INVALID_PARAM", "fallback_keys may hold one key per algorithm");
    }

    if (deviceKeys && !(stored && sameJson(stored, deviceKeys))) {
      await this.store.putDeviceKeys(tx.db, userId, deviceId, JSON.stringify(deviceKeys));
      await this.deviceLists.recordChange(tx, userId, { deviceId });
    }
    await this.addOneTimeKeys(tx, userId, deviceId, toUploaded(oneTimeKeys));
    for (const key of toUploaded(fallbackKeys)) await this.store.putFallbackKey(tx.db, userId, deviceId, key);
    return this.store.oneTimeKeyCounts(userId, deviceId, tx.db);
  }

  /** A key ID uploaded again with the same key is ignored; with another key it is refused (as Synapse). */
  private async addOneTimeKeys(tx: Tx, userId: string, deviceId: string, keys: UploadedKey[]): Promise<void> {
    const existing = await this.store.existingOneTimeKeys(tx.db, userId, deviceId, keys);
    const fresh: UploadedKey[] = [];
    for (const key of keys) {
      const old = existing.get(`${key.algorithm}:${key.keyId}`);
      if (old === undefined) fresh.push(key);
      else if (!sameJson(JSON.parse(old) as JsonValue, JSON.parse(key.json) as JsonValue)) {
        throw new MatrixError(400, "M_INVALID_PARAM", `One-time key ${key.algorithm}:${key.keyId} already exists with another value`);
      }
    }
    await this.store.addOneTimeKeys(tx.db, userId, deviceId, fresh);
  }

  /** Wired by context.ts once the federation client exists. */
  setRemote(remote: RemoteKeys): void {
    this.remote = remote;
  }

  /** POST /keys/claim (and /user/keys/claim from another server, `localOnly`): local devices here, remote ones from their servers. */
  async claim(request: Record<string, Record<string, string>>, options: QueryOptions = {}): Promise<{ one_time_keys: ClaimResult; failures: Record<string, unknown> }> {
    const oneTimeKeys: ClaimResult = {};
    const failures: Record<string, unknown> = {};
    const wanted: { userId: string; deviceId: string; algorithm: string }[] = [];
    const remote: Record<string, Record<string, string>> = {};
    for (const [userId, devices] of Object.entries(request)) {
      if (serverOf(userId) !== this.serverName) {
        if (!options.localOnly) remote[userId] = devices;
        continue;
      }
      for (const [deviceId, algorithm] of Object.entries(devices)) wanted.push({ userId, deviceId, algorithm });
    }
    const remoteAnswer = this.remote && Object.keys(remote).length > 0 ? this.remote.claim(remote, options.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS) : undefined;
    if (!this.remote) for (const userId of Object.keys(remote)) failures[serverOf(userId)] = { status: 503, message: "Federation is not available" };
    if (wanted.length > 0) await this.claimLocal(wanted, oneTimeKeys);
    const fromRemote = await remoteAnswer;
    if (fromRemote) {
      Object.assign(oneTimeKeys, fromRemote.one_time_keys);
      Object.assign(failures, fromRemote.failures);
    }
    return { one_time_keys: oneTimeKeys, failures };
  }

  private async claimLocal(wanted: readonly { userId: string; deviceId: string; algorithm: string }[], oneTimeKeys: ClaimResult): Promise<void> {
    // Each one-time key goes at most once; a device with none left gives its fallback key instead.
    const claimed = await this.db.transaction(async (tx) => {
      for (const { userId, deviceId } of wanted) this.keyCounts.changing(tx, userId, [deviceId]);
      const oneTime = await this.store.claimOneTimeKeys(tx.db, wanted);
      const out: { userId: string; deviceId: string; key: ClaimedKey }[] = [];
      for (const { userId, deviceId, algorithm } of wanted) {
        const key = oneTime.get(wantedKey(userId, deviceId, algorithm)) ?? (await this.store.claimFallbackKey(tx.db, userId, deviceId, algorithm));
        if (key) out.push({ userId, deviceId, key });
      }
      return out;
    });
    for (const { userId, deviceId, key } of claimed) {
      const devices = (oneTimeKeys[userId] ??= {});
      devices[deviceId] = { [key.fullKeyId]: JSON.parse(key.json) as unknown };
    }
  }

  /** Unclaimed one-time keys per algorithm and unused fallback key algorithms of a device, for /sync. */
  syncSummary(userId: string, deviceId: string): Promise<Readonly<KeySyncSummary>> {
    return this.keyCounts.get(userId, deviceId, () => this.syncSummaries.load({ userId, deviceId }));
  }
}
