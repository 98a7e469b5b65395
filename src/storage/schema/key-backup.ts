/** Server-side key backups (client-server API "Server-side key backups"). */

/** One backup version of a user. Deleted versions keep their row so that their number is never reused. */
export interface KeyBackupVersionsTable {
  user_id: string;
  /** Numbered per user from 1; sent to clients as a decimal string. */
  version: number;
  algorithm: string;
  /** JSON object, opaque to the server. */
  auth_data: string;
  /** Bumped whenever the keys of the version change; sent to clients as a decimal string. */
  etag: number;
  deleted: number;
}

/** One backed-up megolm session key. */
export interface KeyBackupKeysTable {
  user_id: string;
  version: number;
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  /** JSON object, encrypted by the client: opaque to the server. */
  session_data: string;
}

export interface KeyBackupTables {
  key_backup_versions: KeyBackupVersionsTable;
  key_backup_keys: KeyBackupKeysTable;
}
