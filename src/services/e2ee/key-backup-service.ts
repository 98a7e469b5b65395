/**
 * Server-side key backups (client-server API "Server-side key backups"): a user's backup versions and
 * the encrypted megolm session keys in them, opaque to the server except for the three fields that
 * decide which of two uploads of a session is kept. Keys can only be written to the current version
 * (the highest not deleted); older versions can still be read and emptied.
 */
import { MatrixError } from "../../errors.js";
import type { Db, Executor, Tx } from "../../storage/db.js";
import type { BackedUpKey, BackupVersionRecord, KeyBackupStore, KeyScope, StoredKey } from "../../storage/key-backup-store.js";
import { RoomLinearizer } from "../rooms/room-linearizer.js";
import { checkKeyLocation, formatVersion, parseVersion, replacesStoredKey } from "./key-backup-rules.js";

/** KeyBackupData of the spec. */
export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}

/** Session keys by room ID, then session ID (the `rooms` of PUT and GET /room_keys/keys). */
export type RoomKeyBackups = Record<string, { sessions: Record<string, KeyBackupData> }>;

export interface BackupVersionInfo {
  algorithm: string;
  auth_data: Record<string, unknown>;
  count: number;
  etag: string;
  version: string;
}

/** RoomKeysUpdateResponse of the spec. */
export interface KeysUpdate {
  etag: string;
  count: number;
}

export interface BackupVersionUpdate {
  algorithm: string;
  auth_data: Record<string, unknown>;
  version?: string;
}

const unknownVersion = (): MatrixError => new MatrixError(404, "M_NOT_FOUND", "Unknown backup version");

export class KeyBackupService {
  // A user's writes run one at a time: version numbers are read then taken, and an upload compares
  // with the stored keys before replacing them. Reads need no turn.
  private readonly perUser = new RoomLinearizer();

  constructor(
    private readonly db: Db,
    private readonly store: KeyBackupStore,
  ) {}

  /** POST /room_keys/version: a new version, which becomes the current one. */
  async createVersion(userId: string, algorithm: string, authData: Record<string, unknown>): Promise<{ version: string }> {
    return this.write(userId, async (tx) => {
      // Numbers of deleted versions are not reused, so a stale client never writes into a newer backup.
      const version = (await this.store.highestVersion(tx.db, userId)) + 1;
      await this.store.create(tx.db, userId, version, algorithm, authData);
      return { version: formatVersion(version) };
    });
  }

  /** GET /room_keys/version: the current version, 404 M_NOT_FOUND when the user has none. */
  async currentVersion(userId: string): Promise<BackupVersionInfo> {
    const current = await this.store.current(this.db.kysely, userId);
    if (!current) throw new MatrixError(404, "M_NOT_FOUND", "No current backup version");
    return this.info(userId, current);
  }

  /** GET /room_keys/version/{version}: a version that exists and is not deleted. */
  async version(userId: string, version: string): Promise<BackupVersionInfo> {
    return this.info(userId, await this.existing(this.db.kysely, userId, version));
  }

  /** PUT /room_keys/version/{version}: replaces auth_data; the algorithm cannot change. */
  async updateVersion(userId: string, version: string, update: BackupVersionUpdate): Promise<void> {
    if (update.version !== undefined && update.version !== version) {
      throw new MatrixError(400, "M_INVALID_PARAM", "The version in the body does not match the version in the path");
    }
    await this.write(userId, async (tx) => {
      const stored = await this.existing(tx.db, userId, version);
      if (stored.algorithm !== update.algorithm) throw new MatrixError(400, "M_INVALID_PARAM", "Algorithm does not match");
      await this.store.updateAuthData(tx.db, userId, stored.version, update.auth_data);
    });
  }

  /** DELETE /room_keys/version/{version}: the version and its keys; a version deleted before is no error. */
  async deleteVersion(userId: string, version: string): Promise<void> {
    const number = parseVersion(version);
    if (number === undefined) throw unknownVersion();
    await this.write(userId, async (tx) => {
      if (!(await this.store.everExisted(tx.db, userId, number))) throw unknownVersion();
      await this.store.markDeleted(tx.db, userId, number);
    });
  }

  /** PUT /room_keys/keys[/{roomId}[/{sessionId}]]: merges keys into the current version by the spec's rules. */
  async putKeys(userId: string, version: string, rooms: RoomKeyBackups): Promise<KeysUpdate> {
    for (const [roomId, room] of Object.entries(rooms)) {
      for (const sessionId of Object.keys(room.sessions)) checkKeyLocation(roomId, sessionId);
    }
    return this.write(userId, async (tx) => {
      const target = await this.writableVersion(tx, userId, version);
      const changed: StoredKey[] = [];
      for (const [roomId, room] of Object.entries(rooms)) {
        const sessions = Object.entries(room.sessions);
        const stored = await this.store.keysOf(tx.db, userId, target.version, roomId, sessions.map(([sessionId]) => sessionId));
        for (const [sessionId, data] of sessions) {
          const uploaded = fromClient(data);
          if (replacesStoredKey(stored.get(sessionId), uploaded)) changed.push({ roomId, sessionId, ...uploaded });
        }
      }
      await this.store.putKeys(tx.db, userId, target.version, changed);
      return this.keysUpdated(tx, userId, target, changed.length > 0);
    });
  }

  /** GET /room_keys/keys: every key of a version. */
  async allKeys(userId: string, version: string): Promise<{ rooms: RoomKeyBackups }> {
    return { rooms: await this.keys(userId, version, {}) };
  }

  /**
   * GET /room_keys/keys/{roomId}: a room's keys. A room without any is `{"sessions": {}}`, not a 404:
   * the spec says so, and Synapse answers the same, so that clients need not handle an error there.
   */
  async roomKeys(userId: string, version: string, roomId: string): Promise<{ sessions: Record<string, KeyBackupData> }> {
    const rooms = await this.keys(userId, version, { roomId });
    return rooms[roomId] ?? { sessions: {} };
  }

  /** GET /room_keys/keys/{roomId}/{sessionId}: one key; 404 M_NOT_FOUND when it is not backed up. */
  async sessionKey(userId: string, version: string, roomId: string, sessionId: string): Promise<KeyBackupData> {
    const rooms = await this.keys(userId, version, { roomId, sessionId });
    const key = rooms[roomId]?.sessions[sessionId];
    // The spec says "The key or backup was not found"; Synapse answers 404 M_NOT_FOUND for both.
    if (!key) throw new MatrixError(404, "M_NOT_FOUND", "Key not found");
    return key;
  }

  /** DELETE /room_keys/keys[/{roomId}[/{sessionId}]]: from any existing version, not only the current one. */
  async deleteKeys(userId: string, version: string, scope: KeyScope): Promise<KeysUpdate> {
    return this.write(userId, async (tx) => {
      const target = await this.existing(tx.db, userId, version);
      const deleted = await this.store.deleteKeys(tx.db, userId, target.version, scope);
      return this.keysUpdated(tx, userId, target, deleted > 0);
    });
  }

  /** Deletes every backup of a user for good (account deactivation, as Synapse does). */
  /** Deactivation deletes the user's backups with the rest of the account (as Synapse). */
  deactivationHook(): (tx: Tx, userId: string) => Promise<void> {
    return (tx, userId) => this.store.deleteAllOfUser(tx.db, userId);
  }

  private write<T>(userId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.perUser.run(userId, () => this.db.transaction(work));
  }

  private async existing(executor: Executor, userId: string, version: string): Promise<BackupVersionRecord> {
    const number = parseVersion(version);
    const stored = number === undefined ? undefined : await this.store.get(executor, userId, number);
    if (!stored) throw unknownVersion();
    return stored;
  }

  /**
   * The version an upload may write to: the current one. Another version that exists is 403
   * M_WRONG_ROOM_KEYS_VERSION naming the current one, so the client can move to it; a version that
   * never existed or was deleted is 404, as Synapse answers (the spec lists both answers).
   */
  private async writableVersion(tx: Tx, userId: string, version: string): Promise<BackupVersionRecord> {
    const current = await this.store.current(tx.db, userId);
    if (!current) throw unknownVersion();
    if (parseVersion(version) === current.version) return current;
    await this.existing(tx.db, userId, version);
    throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version", { current_version: formatVersion(current.version) });
  }

  /** The new etag (bumped when the keys changed) and count of a version after a write. */
  private async keysUpdated(tx: Tx, userId: string, target: BackupVersionRecord, changed: boolean): Promise<KeysUpdate> {
    const etag = changed ? target.etag + 1 : target.etag;
    if (changed) await this.store.setEtag(tx.db, userId, target.version, etag);
    return { etag: String(etag), count: await this.store.countKeys(tx.db, userId, target.version) };
  }

  private async keys(userId: string, version: string, scope: KeyScope): Promise<RoomKeyBackups> {
    const target = await this.existing(this.db.kysely, userId, version);
    const rooms: RoomKeyBackups = {};
    for (const key of await this.store.listKeys(this.db.kysely, userId, target.version, scope)) {
      (rooms[key.roomId] ??= { sessions: {} }).sessions[key.sessionId] = toClient(key);
    }
    return rooms;
  }

  private async info(userId: string, stored: BackupVersionRecord): Promise<BackupVersionInfo> {
    return {
      algorithm: stored.algorithm,
      auth_data: stored.authData,
      count: await this.store.countKeys(this.db.kysely, userId, stored.version),
      etag: String(stored.etag),
      version: formatVersion(stored.version),
    };
  }
}

function fromClient(data: KeyBackupData): BackedUpKey {
  return { firstMessageIndex: data.first_message_index, forwardedCount: data.forwarded_count, isVerified: data.is_verified, sessionData: data.session_data };
}

function toClient(key: BackedUpKey): KeyBackupData {
  return { first_message_index: key.firstMessageIndex, forwarded_count: key.forwardedCount, is_verified: key.isVerified, session_data: key.sessionData };
}
