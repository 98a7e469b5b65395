/** Other servers' signing keys and the key documents they came in (server-server API "Retrieving server keys"). */
import type { Db } from "./db.js";

export interface StoredServerKey {
  serverName: string;
  keyId: string;
  publicKey: string;
  validUntilTs: number;
  expiredTs: number | null;
}

export class ServerKeyStore {
  constructor(private readonly db: Db) {}

  async get(serverName: string, keyId: string): Promise<StoredServerKey | undefined> {
    const row = await this.db.kysely.selectFrom("server_keys").selectAll().where("server_name", "=", serverName).where("key_id", "=", keyId).executeTakeFirst();
    return row
      ? { serverName: row.server_name, keyId: row.key_id, publicKey: row.public_key, validUntilTs: Number(row.valid_until_ts), expiredTs: row.expired_ts === null ? null : Number(row.expired_ts) }
      : undefined;
  }

  /** Stores the keys of one verified key document and the document itself, in one transaction. */
  async putDocument(serverName: string, json: string, validUntilTs: number, keys: readonly StoredServerKey[], now: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const key of keys) {
        await tx.db
          .insertInto("server_keys")
          .values({ server_name: key.serverName, key_id: key.keyId, public_key: key.publicKey, valid_until_ts: key.validUntilTs, expired_ts: key.expiredTs, fetched_ts: now })
          .onConflict((oc) => oc.columns(["server_name", "key_id"]).doUpdateSet({ public_key: key.publicKey, valid_until_ts: key.validUntilTs, expired_ts: key.expiredTs, fetched_ts: now }))
          .execute();
      }
      await tx.db
        .insertInto("server_key_documents")
        .values({ server_name: serverName, json, valid_until_ts: validUntilTs, fetched_ts: now })
        .onConflict((oc) => oc.column("server_name").doUpdateSet({ json, valid_until_ts: validUntilTs, fetched_ts: now }))
        .execute();
    });
  }

  /** The latest key document of a server (for notary answers). */
  async document(serverName: string): Promise<{ json: string; validUntilTs: number } | undefined> {
    const row = await this.db.kysely.selectFrom("server_key_documents").select(["json", "valid_until_ts"]).where("server_name", "=", serverName).executeTakeFirst();
    return row ? { json: row.json, validUntilTs: Number(row.valid_until_ts) } : undefined;
  }
}
