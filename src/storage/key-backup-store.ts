/**
 * Server-side key backups: each user's backup versions and the session keys stored in them. The
 * service decides what to write (which version is current, whether an upload replaces a stored key);
 * the store reads and writes rows on the executor it is given, so one request is one transaction.
 */
import type { Executor } from "./db.js";

export interface BackupVersionRecord {
  version: number;
  algorithm: string;
  authData: Record<string, unknown>;
  etag: number;
}

/** A backed-up session key: what decides replacement, and the client's encrypted data. */
export interface BackedUpKey {
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: Record<string, unknown>;
}

export interface StoredKey extends BackedUpKey {
  roomId: string;
  sessionId: string;
}

/** Which keys of a version a read or a delete covers: all of them, one room's, or one session's. */
export interface KeyScope {
  roomId?: string;
  /** Only with roomId. */
  sessionId?: string;
}

// Bound the parameters of one statement (SQLite allows 32766, PostgreSQL 65535).
const LOOKUP_CHUNK = 500;
const INSERT_CHUNK = 200;

export class KeyBackupStore {
  /** The highest version number the user ever had, deleted ones included; 0 if none. */
  async highestVersion(executor: Executor, userId: string): Promise<number> {
    const row = await executor
      .selectFrom("key_backup_versions")
      .select((eb) => eb.fn.max("version").as("highest"))
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return Number(row?.highest ?? 0);
  }

  /** The current version: the highest one not deleted. */
  async current(executor: Executor, userId: string): Promise<BackupVersionRecord | undefined> {
    const row = await executor
      .selectFrom("key_backup_versions")
      .select(["version", "algorithm", "auth_data", "etag"])
      .where("user_id", "=", userId)
      .where("deleted", "=", 0)
      .orderBy("version", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? toVersion(row) : undefined;
  }

  /** One version, or undefined if it never existed or was deleted. */
  async get(executor: Executor, userId: string, version: number): Promise<BackupVersionRecord | undefined> {
    const row = await executor
      .selectFrom("key_backup_versions")
      .select(["version", "algorithm", "auth_data", "etag"])
      .where("user_id", "=", userId)
      .where("version", "=", version)
      .where("deleted", "=", 0)
      .executeTakeFirst();
    return row ? toVersion(row) : undefined;
  }

  /** Whether the version was ever created, deleted or not. */
  async everExisted(executor: Executor, userId: string, version: number): Promise<boolean> {
    const row = await executor
      .selectFrom("key_backup_versions")
      .select("version")
      .where("user_id", "=", userId)
      .where("version", "=", version)
      .executeTakeFirst();
    return row !== undefined;
  }

  async create(executor: Executor, userId: string, version: number, algorithm: string, authData: Record<string, unknown>): Promise<void> {
    await executor
      .insertInto("key_backup_versions")
      .values({ user_id: userId, version, algorithm, auth_data: JSON.stringify(authData), etag: 0, deleted: 0 })
      .execute();
  }

  async updateAuthData(executor: Executor, userId: string, version: number, authData: Record<string, unknown>): Promise<void> {
    await executor
      .updateTable("key_backup_versions")
      .set({ auth_data: JSON.stringify(authData) })
      .where("user_id", "=", userId)
      .where("version", "=", version)
      .execute();
  }

  async setEtag(executor: Executor, userId: string, version: number, etag: number): Promise<void> {
    await executor.updateTable("key_backup_versions").set({ etag }).where("user_id", "=", userId).where("version", "=", version).execute();
  }

  /** Marks a version deleted (its number stays taken) and deletes its keys. */
  async markDeleted(executor: Executor, userId: string, version: number): Promise<void> {
    await executor.deleteFrom("key_backup_keys").where("user_id", "=", userId).where("version", "=", version).execute();
    await executor.updateTable("key_backup_versions").set({ deleted: 1 }).where("user_id", "=", userId).where("version", "=", version).execute();
  }

  /** The stored keys among `sessionIds` of one room, by session ID. */
  async keysOf(executor: Executor, userId: string, version: number, roomId: string, sessionIds: readonly string[]): Promise<Map<string, BackedUpKey>> {
    const found = new Map<string, BackedUpKey>();
    for (let start = 0; start < sessionIds.length; start += LOOKUP_CHUNK) {
      const rows = await executor
        .selectFrom("key_backup_keys")
        .select(["room_id", "session_id", "first_message_index", "forwarded_count", "is_verified", "session_data"])
        .where("user_id", "=", userId)
        .where("version", "=", version)
        .where("room_id", "=", roomId)
        .where("session_id", "in", sessionIds.slice(start, start + LOOKUP_CHUNK))
        .execute();
      for (const row of rows) found.set(row.session_id, toKey(row));
    }
    return found;
  }

  /** Inserts keys, replacing stored keys of the same sessions. */
  async putKeys(executor: Executor, userId: string, version: number, keys: readonly StoredKey[]): Promise<void> {
    for (let start = 0; start < keys.length; start += INSERT_CHUNK) {
      const rows = keys.slice(start, start + INSERT_CHUNK).map((key) => ({
        user_id: userId,
        version,
        room_id: key.roomId,
        session_id: key.sessionId,
        first_message_index: key.firstMessageIndex,
        forwarded_count: key.forwardedCount,
        is_verified: key.isVerified ? 1 : 0,
        session_data: JSON.stringify(key.sessionData),
      }));
      await executor
        .insertInto("key_backup_keys")
        .values(rows)
        .onConflict((oc) =>
          oc.columns(["user_id", "version", "room_id", "session_id"]).doUpdateSet((eb) => ({
            first_message_index: eb.ref("excluded.first_message_index"),
            forwarded_count: eb.ref("excluded.forwarded_count"),
            is_verified: eb.ref("excluded.is_verified"),
            session_data: eb.ref("excluded.session_data"),
          })),
        )
        .execute();
    }
  }

  /** The keys in scope, ordered by room and session. */
  async listKeys(executor: Executor, userId: string, version: number, scope: KeyScope): Promise<StoredKey[]> {
    let query = executor
      .selectFrom("key_backup_keys")
      .select(["room_id", "session_id", "first_message_index", "forwarded_count", "is_verified", "session_data"])
      .where("user_id", "=", userId)
      .where("version", "=", version);
    if (scope.roomId !== undefined) query = query.where("room_id", "=", scope.roomId);
    if (scope.sessionId !== undefined) query = query.where("session_id", "=", scope.sessionId);
    const rows = await query.orderBy("room_id").orderBy("session_id").execute();
    return rows.map((row) => ({ roomId: row.room_id, sessionId: row.session_id, ...toKey(row) }));
  }

  /** Deletes the keys in scope; returns how many there were. */
  async deleteKeys(executor: Executor, userId: string, version: number, scope: KeyScope): Promise<number> {
    let query = executor.deleteFrom("key_backup_keys").where("user_id", "=", userId).where("version", "=", version);
    if (scope.roomId !== undefined) query = query.where("room_id", "=", scope.roomId);
    if (scope.sessionId !== undefined) query = query.where("session_id", "=", scope.sessionId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async countKeys(executor: Executor, userId: string, version: number): Promise<number> {
    const row = await executor
      .selectFrom("key_backup_keys")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("user_id", "=", userId)
      .where("version", "=", version)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Every version and key of a user, for good (account deactivation). */
  async deleteAllOfUser(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom("key_backup_keys").where("user_id", "=", userId).execute();
    await executor.deleteFrom("key_backup_versions").where("user_id", "=", userId).execute();
  }
}

function toVersion(row: { version: number; algorithm: string; auth_data: string; etag: number }): BackupVersionRecord {
  return { version: Number(row.version), algorithm: row.algorithm, authData: JSON.parse(row.auth_data) as Record<string, unknown>, etag: Number(row.etag) };
}

function toKey(row: { first_message_index: number; forwarded_count: number; is_verified: number; session_data: string }): BackedUpKey {
  return {
    firstMessageIndex: Number(row.first_message_index),
    forwardedCount: Number(row.forwarded_count),
    isVerified: Number(row.is_verified) === 1,
    sessionData: JSON.parse(row.session_data) as Record<string, unknown>,
  };
}
