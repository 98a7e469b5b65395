/**
 * Cross-signing keys (master, self-signing, user-signing) and the signatures uploaded with
 * `/keys/signatures/upload`, stored apart from the keys they sign.
 */
import type { Db, Executor } from "./db.js";

export type CrossSigningKeyType = "master" | "self_signing" | "user_signing";

export interface StoredCrossSigningKey {
  userId: string;
  type: CrossSigningKeyType;
  publicKey: string;
  json: string;
}

export interface StoredSignature {
  signerUserId: string;
  signerKeyId: string;
  targetUserId: string;
  targetKeyId: string;
  signature: string;
}

export class CrossSigningStore {
  constructor(private readonly db: Db) {}

  /** The cross-signing keys of the given users. */
  async keysOf(userIds: readonly string[], executor: Executor = this.db.kysely): Promise<StoredCrossSigningKey[]> {
    if (userIds.length === 0) return [];
    const rows = await executor.selectFrom("e2e_cross_signing_keys").selectAll().where("user_id", "in", userIds).execute();
    return rows.map((r) => ({ userId: r.user_id, type: r.key_type as CrossSigningKeyType, publicKey: r.public_key, json: r.key_json }));
  }

  async putKey(executor: Executor, key: StoredCrossSigningKey): Promise<void> {
    await executor
      .insertInto("e2e_cross_signing_keys")
      .values({ user_id: key.userId, key_type: key.type, public_key: key.publicKey, key_json: key.json })
      .onConflict((oc) => oc.columns(["user_id", "key_type"]).doUpdateSet({ public_key: key.publicKey, key_json: key.json }))
      .execute();
  }

  async putSignature(executor: Executor, s: StoredSignature): Promise<void> {
    await executor
      .insertInto("e2e_signatures")
      .values({ signer_user_id: s.signerUserId, signer_key_id: s.signerKeyId, target_user_id: s.targetUserId, target_key_id: s.targetKeyId, signature: s.signature })
      .onConflict((oc) => oc.columns(["target_user_id", "target_key_id", "signer_user_id", "signer_key_id"]).doUpdateSet({ signature: s.signature }))
      .execute();
  }

  /**
   * Signatures on the keys of `targetUserIds` that `viewer` may see: those their owners made, and those
   * `viewer` made (a user-signing key's signatures are visible only to the user who made them); only
   * the owners' for another server (undefined viewer).
   */
  async signaturesVisibleTo(viewer: string | undefined, targetUserIds: readonly string[], executor: Executor = this.db.kysely): Promise<StoredSignature[]> {
    if (targetUserIds.length === 0) return [];
    const rows = await executor
      .selectFrom("e2e_signatures")
      .selectAll()
      .where("target_user_id", "in", targetUserIds)
      .where((eb) => (viewer === undefined ? eb("signer_user_id", "=", eb.ref("target_user_id")) : eb.or([eb("signer_user_id", "=", viewer), eb("signer_user_id", "=", eb.ref("target_user_id"))])))
      .execute();
    return rows.map((r) => ({ signerUserId: r.signer_user_id, signerKeyId: r.signer_key_id, targetUserId: r.target_user_id, targetKeyId: r.target_key_id, signature: r.signature }));
  }

  /** Removes a user's cross-signing keys and the signatures they made (deactivated account). */
  async deleteUser(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom("e2e_cross_signing_keys").where("user_id", "=", userId).execute();
    await executor.deleteFrom("e2e_signatures").where("signer_user_id", "=", userId).execute();
  }

  /** Removes the signatures on the given devices (deleted devices). */
  async deleteSignaturesOn(executor: Executor, userId: string, keyIds: readonly string[]): Promise<void> {
    if (keyIds.length === 0) return;
    await executor.deleteFrom("e2e_signatures").where("target_user_id", "=", userId).where("target_key_id", "in", keyIds).execute();
  }
}
