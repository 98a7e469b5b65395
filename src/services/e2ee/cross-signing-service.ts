/**
 * Cross-signing (client-server API "Cross-signing"): POST /keys/device_signing/upload stores a user's
 * master, self-signing and user-signing keys; POST /keys/signatures/upload stores signatures of the
 * user's own devices (self-signing key), of their master key (by their devices) and of other users'
 * master keys (user-signing key), each checked and failing on its own.
 */
import { MatrixError } from "../../errors.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { CrossSigningKeyType, CrossSigningStore, StoredCrossSigningKey, StoredSignature } from "../../storage/cross-signing-store.js";
import type { Db } from "../../storage/db.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import type { Requester } from "../accounts/requester.js";
import type { ChangeDetail, DeviceLists } from "./device-lists.js";
import { checkCrossSigningKey, sameJson, signedBy, unsignedPart, type CrossSigningUsage } from "./key-validation.js";

export interface SigningKeysBody {
  master_key?: unknown;
  self_signing_key?: unknown;
  user_signing_key?: unknown;
}

const FIELDS: readonly [keyof SigningKeysBody, CrossSigningUsage][] = [
  ["master_key", "master"],
  ["self_signing_key", "self_signing"],
  ["user_signing_key", "user_signing"],
];

type Failure = { errcode: string; error: string };

class SignatureFailure extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

export class CrossSigningService {
  constructor(
    private readonly db: Db,
    private readonly store: CrossSigningStore,
    private readonly keys: E2eKeyStore,
    private readonly devices: DeviceStore,
    private readonly deviceLists: DeviceLists,
  ) {}

  private async current(userId: string): Promise<Map<CrossSigningKeyType, StoredCrossSigningKey>> {
    return new Map((await this.store.keysOf([userId])).map((k) => [k.type, k]));
  }

  /**
   * Whether an upload needs user-interactive auth: not when the user has no master key yet, nor when
   * every key in the request is exactly the one stored (a retried upload).
   */
  async uploadNeedsAuth(userId: string, body: SigningKeysBody): Promise<boolean> {
    const current = await this.current(userId);
    if (!current.has("master")) return false;
    for (const [field, usage] of FIELDS) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      const stored = current.get(usage);
      if (!stored || !isJsonObject(value) || !sameJson(JSON.parse(stored.json) as JsonObject, value)) return true;
    }
    return false;
  }

  /** Stores the uploaded cross-signing keys after checking them; announces the change. */
  async uploadSigningKeys(requester: Requester, body: SigningKeysBody): Promise<void> {
    const userId = requester.userId;
    const parsed = new Map<CrossSigningUsage, { key: JsonObject; publicKey: string }>();
    for (const [field, usage] of FIELDS) {
      const value = body[field];
      if (value !== undefined && value !== null) parsed.set(usage, checkCrossSigningKey(value, usage, userId));
    }
    if (parsed.size === 0) return;
    const current = await this.current(userId);
    const masterPublicKey = parsed.get("master")?.publicKey ?? current.get("master")?.publicKey;
    if (masterPublicKey === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "No master signing key is available");
    for (const usage of ["self_signing", "user_signing"] as const) {
      const entry = parsed.get(usage);
      if (entry && !signedBy(entry.key, userId, masterPublicKey, masterPublicKey)) {
        throw new MatrixError(400, "M_INVALID_SIGNATURE", `The ${usage} key is not signed by the master key`);
      }
    }
    // Device IDs and cross-signing public keys share the key ID namespace (ed25519:<id>).
    const deviceIds = new Set((await this.devices.list(userId, { includeHidden: true })).map((d) => d.deviceId));
    for (const { publicKey } of parsed.values()) {
      if (deviceIds.has(publicKey)) throw new MatrixError(403, "M_FORBIDDEN", "Key ID in use by a device");
    }
    await this.db.transaction(async (tx) => {
      for (const [usage, { key, publicKey }] of parsed) {
        await this.store.putKey(tx.db, { userId, type: usage, publicKey, json: JSON.stringify(key) });
      }
      await this.deviceLists.recordChange(tx, userId, { crossSigning: true });
    });
  }

  /** POST /keys/signatures/upload: stores each valid signature; the others are reported in `failures`. */
  async uploadSignatures(requester: Requester, body: Record<string, unknown>): Promise<{ failures: Record<string, Record<string, Failure>> }> {
    const failures: Record<string, Record<string, Failure>> = {};
    const accepted: { signature: StoredSignature; change: ChangeDetail }[] = [];
    const signerKeys = await this.current(requester.userId);
    for (const [targetUserId, byKey] of Object.entries(body)) {
      if (!isJsonObject(byKey)) throw new MatrixError(400, "M_BAD_JSON", `Signatures for ${targetUserId} must be an object`);
      for (const [keyId, signed] of Object.entries(byKey)) {
        try {
          if (!isJsonObject(signed)) throw new SignatureFailure("M_BAD_JSON", "The signed key must be an object");
          const signatures = targetUserId === requester.userId ? await this.ownSignatures(requester.userId, keyId, signed, signerKeys) : await this.otherUserSignature(requester.userId, targetUserId, keyId, signed, signerKeys);
          // Another user's master key: only the signer hears of it. One of our devices: that device's keys
          // changed. Our master key: the cross-signing keys changed.
          const change: ChangeDetail =
            targetUserId !== requester.userId ? { onlyFor: requester.userId } : keyId === signerKeys.get("master")?.publicKey ? { crossSigning: true } : { deviceId: keyId };
          for (const signature of signatures) accepted.push({ signature, change });
        } catch (error) {
          if (!(error instanceof SignatureFailure)) throw error;
          (failures[targetUserId] ??= {})[keyId] = { errcode: error.errcode, error: error.message };
        }
      }
    }
    if (accepted.length > 0) {
      await this.db.transaction(async (tx) => {
        const announced = new Set<string>();
        for (const { signature, change } of accepted) {
          await this.store.putSignature(tx.db, signature);
          const key = `${signature.targetUserId}\u0000${signature.targetKeyId}`;
          if (announced.has(key)) continue;
          announced.add(key);
          await this.deviceLists.recordChange(tx, signature.targetUserId, change);
        }
      });
    }
    return { failures };
  }

  /** The user signs one of their devices (self-signing key) or their master key (with a device key). */
  private async ownSignatures(userId: string, keyId: string, signed: JsonObject, mine: Map<CrossSigningKeyType, StoredCrossSigningKey>): Promise<StoredSignature[]> {
    const master = mine.get("master");
    if (master && keyId === master.publicKey) {
      expectSameKey(JSON.parse(master.json) as JsonObject, signed);
      const out: StoredSignature[] = [];
      const bySigner = isJsonObject(signed["signatures"]) ? signed["signatures"][userId] : undefined;
      for (const [signerKeyId, signature] of Object.entries(isJsonObject(bySigner) ? bySigner : {})) {
        const deviceId = signerKeyId.startsWith("ed25519:") ? signerKeyId.slice("ed25519:".length) : undefined;
        if (deviceId === undefined || deviceId === master.publicKey || typeof signature !== "string") continue;
        const deviceJson = await this.keys.deviceKeys(userId, deviceId);
        const deviceKey = deviceJson === undefined ? undefined : (JSON.parse(deviceJson) as { keys?: Record<string, string> }).keys?.[signerKeyId];
        if (deviceKey === undefined) continue;
        if (!signedBy(signed, userId, deviceId, deviceKey)) throw new SignatureFailure("M_INVALID_SIGNATURE", "Invalid signature");
        out.push({ signerUserId: userId, signerKeyId, targetUserId: userId, targetKeyId: keyId, signature });
      }
      if (out.length === 0) throw new SignatureFailure("M_INVALID_SIGNATURE", "No signature by one of the user's devices");
      return out;
    }
    const deviceJson = await this.keys.deviceKeys(userId, keyId);
    if (deviceJson === undefined) throw new SignatureFailure("M_NOT_FOUND", "Unknown device or key");
    expectSameKey(JSON.parse(deviceJson) as JsonObject, signed);
    const selfSigning = mine.get("self_signing");
    if (!selfSigning) throw new SignatureFailure("M_NOT_FOUND", "The user has no self-signing key");
    return [this.signatureBy(userId, selfSigning.publicKey, userId, keyId, signed)];
  }

  /** The requester signs another user's master key with their user-signing key. */
  private async otherUserSignature(signer: string, targetUserId: string, keyId: string, signed: JsonObject, mine: Map<CrossSigningKeyType, StoredCrossSigningKey>): Promise<StoredSignature[]> {
    const userSigning = mine.get("user_signing");
    if (!userSigning) throw new SignatureFailure("M_NOT_FOUND", "You have no user-signing key");
    const theirMaster = (await this.store.keysOf([targetUserId])).find((k) => k.type === "master");
    if (!theirMaster || theirMaster.publicKey !== keyId) throw new SignatureFailure("M_NOT_FOUND", "Unknown master key");
    expectSameKey(JSON.parse(theirMaster.json) as JsonObject, signed);
    return [this.signatureBy(signer, userSigning.publicKey, targetUserId, keyId, signed)];
  }

  private signatureBy(signer: string, signerPublicKey: string, targetUserId: string, targetKeyId: string, signed: JsonObject): StoredSignature {
    const signerKeyId = `ed25519:${signerPublicKey}`;
    const bySigner = isJsonObject(signed["signatures"]) ? signed["signatures"][signer] : undefined;
    const signature = isJsonObject(bySigner) ? bySigner[signerKeyId] : undefined;
    if (typeof signature !== "string") throw new SignatureFailure("M_INVALID_SIGNATURE", `No signature by ${signerKeyId}`);
    if (!signedBy(signed, signer, signerPublicKey, signerPublicKey)) throw new SignatureFailure("M_INVALID_SIGNATURE", "Invalid signature");
    return { signerUserId: signer, signerKeyId, targetUserId, targetKeyId, signature };
  }
}

/** The signed object must be the stored key (apart from signatures and unsigned). */
function expectSameKey(stored: JsonObject, signed: JsonObject): void {
  if (!sameJson(unsignedPart(stored), unsignedPart(signed))) throw new SignatureFailure("M_INVALID_PARAM", "The signed key does not match the stored key");
}
