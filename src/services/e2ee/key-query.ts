/**
 * POST /keys/query for local users: each device's keys as uploaded, with its display name in
 * `unsigned` and the signatures the requester may see merged in; the users' master and self-signing
 * keys, and the requester's own user-signing key.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { CrossSigningStore, StoredSignature } from "../../storage/cross-signing-store.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import { DEFAULT_REMOTE_TIMEOUT_MS, serverOf, type RemoteKeys } from "./remote-keys.js";

export interface KeyQueryResponse {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
  failures: Record<string, unknown>;
}

/** Adds stored signatures to a key object's own. */
function withSignatures(key: JsonObject, signatures: readonly StoredSignature[] | undefined): JsonObject {
  if (!signatures || signatures.length === 0) return key;
  const merged: Record<string, Record<string, string>> = {};
  for (const [signer, entries] of Object.entries((key["signatures"] ?? {}) as Record<string, Record<string, string>>)) merged[signer] = { ...entries };
  for (const s of signatures) (merged[s.signerUserId] ??= {})[s.signerKeyId] = s.signature;
  return { ...key, signatures: merged };
}

export interface QueryOptions {
  /** Milliseconds to wait for other servers (the request's `timeout`). */
  timeoutMs?: number | undefined;
  /** A query from another server: answer for our own users only, never ask further. */
  localOnly?: boolean;
}

export class KeyQueryService {
  private remote: RemoteKeys | undefined;

  constructor(
    private readonly keys: E2eKeyStore,
    private readonly crossSigning: CrossSigningStore,
    private readonly deviceListVersion: (userId: string) => Promise<number>,
    private readonly serverName: string,
  ) {}

  /** Wired by context.ts once the federation client exists. */
  setRemote(remote: RemoteKeys): void {
    this.remote = remote;
  }

  /**
   * Keys of the requested users. `viewer` is the user asking (their own signatures of others' master
   * keys and their user-signing key are shown to them alone); undefined for another server.
   */
  async query(viewer: string | undefined, request: Record<string, readonly string[]>, options: QueryOptions = {}): Promise<KeyQueryResponse> {
    const response: KeyQueryResponse = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: {} };
    const local: string[] = [];
    const remote: Record<string, readonly string[]> = {};
    for (const [userId, devices] of Object.entries(request)) {
      if (serverOf(userId) === this.serverName) local.push(userId);
      else remote[userId] = devices;
    }
    const remoteAnswer = !options.localOnly && this.remote && Object.keys(remote).length > 0 ? this.remote.query(remote, options.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS) : undefined;
    if (local.length > 0) await this.queryLocal(viewer, local, request, response);
    const fromRemote = await remoteAnswer;
    if (fromRemote) {
      Object.assign(response.device_keys, fromRemote.device_keys);
      Object.assign(response.master_keys, fromRemote.master_keys);
      Object.assign(response.self_signing_keys, fromRemote.self_signing_keys);
      Object.assign(response.failures, fromRemote.failures);
    } else if (!options.localOnly) {
      for (const userId of Object.keys(remote)) response.failures[serverOf(userId)] = { status: 503, message: "Federation is not available" };
    }
    return response;
  }

  private async queryLocal(viewer: string | undefined, local: readonly string[], request: Record<string, readonly string[]>, response: KeyQueryResponse): Promise<void> {
    const [devices, crossSigningKeys, signatures] = await Promise.all([
      this.keys.deviceKeysOf(local),
      this.crossSigning.keysOf(local),
      this.crossSigning.signaturesVisibleTo(viewer, local),
    ]);
    const signaturesOn = new Map<string, StoredSignature[]>();
    for (const s of signatures) {
      const key = `${s.targetUserId}\u0000${s.targetKeyId}`;
      const list = signaturesOn.get(key);
      if (list) list.push(s);
      else signaturesOn.set(key, [s]);
    }
    const on = (userId: string, keyId: string) => signaturesOn.get(`${userId}\u0000${keyId}`);

    for (const userId of local) {
      const wanted = request[userId] ?? [];
      const result: Record<string, JsonObject> = {};
      for (const [deviceId, stored] of devices.get(userId) ?? []) {
        if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
        const key = withSignatures(JSON.parse(stored.json) as JsonObject, on(userId, deviceId));
        const unsigned: JsonObject = stored.displayName === null ? {} : { device_display_name: stored.displayName };
        result[deviceId] = { ...key, unsigned };
      }
      response.device_keys[userId] = result;
    }
    for (const key of crossSigningKeys) {
      const object = withSignatures(JSON.parse(key.json) as JsonObject, on(key.userId, key.publicKey));
      if (key.type === "master") response.master_keys[key.userId] = object;
      else if (key.type === "self_signing") response.self_signing_keys[key.userId] = object;
      else if (viewer !== undefined && key.userId === viewer) response.user_signing_keys[key.userId] = object;
    }
  }

  /** GET /_matrix/federation/v1/user/devices/{userId}: a local user's devices with keys, and their cross-signing keys. */
  async userDevices(userId: string): Promise<JsonObject> {
    const answer = await this.query(undefined, { [userId]: [] }, { localOnly: true });
    const devices = Object.entries(answer.device_keys[userId] ?? {}).map(([deviceId, keys]) => {
      const { unsigned, ...signed } = keys;
      const name = isJsonObject(unsigned) ? unsigned["device_display_name"] : undefined;
      return { device_id: deviceId, keys: signed, ...(typeof name === "string" ? { device_display_name: name } : {}) };
    });
    const out: JsonObject = { user_id: userId, stream_id: await this.deviceListVersion(userId), devices };
    const master = answer.master_keys[userId];
    const selfSigning = answer.self_signing_keys[userId];
    if (master) out["master_key"] = master;
    if (selfSigning) out["self_signing_key"] = selfSigning;
    return out;
  }
}
