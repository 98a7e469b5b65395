/**
 * POST /keys/query for local users: each device's keys as uploaded, with its display name in
 * `unsigned` and the signatures the requester may see merged in; the users' master and self-signing
 * keys, and the requester's own user-signing key.
 */
import type { JsonObject } from "../../protocol/json.js";
import type { CrossSigningStore, StoredSignature } from "../../storage/cross-signing-store.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import type { Requester } from "../accounts/requester.js";

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

export class KeyQueryService {
  constructor(
    private readonly keys: E2eKeyStore,
    private readonly crossSigning: CrossSigningStore,
    private readonly serverName: string,
  ) {}

  async query(requester: Requester, request: Record<string, readonly string[]>): Promise<KeyQueryResponse> {
    const response: KeyQueryResponse = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, failures: {} };
    const local: string[] = [];
    for (const userId of Object.keys(request)) {
      const server = userId.slice(userId.indexOf(":") + 1);
      if (server === this.serverName) local.push(userId);
      else response.failures[server] = { status: 503, message: "Federation is not available" };
    }
    if (local.length === 0) return response;

    const [devices, crossSigningKeys, signatures] = await Promise.all([
      this.keys.deviceKeysOf(local),
      this.crossSigning.keysOf(local),
      this.crossSigning.signaturesVisibleTo(requester.userId, local),
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
      else if (key.userId === requester.userId) response.user_signing_keys[key.userId] = object;
    }
    return response;
  }
}
