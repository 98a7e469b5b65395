/** Federation: other servers' signing keys and the signed key documents they were fetched in. */

/** One verify key of a server, with the time until which it may be used (an old key: its expiry). */
export interface ServerKeysTable {
  server_name: string;
  key_id: string;
  /** Unpadded base64 of the ed25519 public key. */
  public_key: string;
  /** Until when the key is valid for anything (verify_keys' valid_until_ts). */
  valid_until_ts: number;
  /** When an old key stopped being used (old_verify_keys' expired_ts); null for a current key. */
  expired_ts: number | null;
  fetched_ts: number;
}

/** The latest key document of a server as it signed it (served again when we act as a notary). */
export interface ServerKeyDocumentsTable {
  server_name: string;
  json: string;
  valid_until_ts: number;
  fetched_ts: number;
}

export interface FederationTables {
  server_keys: ServerKeysTable;
  server_key_documents: ServerKeyDocumentsTable;
}
