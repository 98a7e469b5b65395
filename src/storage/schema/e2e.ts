/** End-to-end encryption: device keys, one-time and fallback keys, cross-signing, device list and to-device streams. */
import type { Generated } from "kysely";

/** The signed device keys a device uploaded (`/keys/upload` device_keys), as JSON text. */
export interface E2eDeviceKeysTable {
  user_id: string;
  device_id: string;
  key_json: string;
}

/** Unclaimed one-time keys; `id` orders them by upload (claims hand out the oldest first). */
export interface E2eOneTimeKeysTable {
  id: Generated<number>;
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
}

/** One fallback key per device and algorithm; `used` once a claim handed it out. */
export interface E2eFallbackKeysTable {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
  used: number;
}

/** A user's current master, self-signing and user-signing keys (`key_type`), as uploaded. */
export interface E2eCrossSigningKeysTable {
  user_id: string;
  key_type: string;
  /** The unpadded base64 public key (the key ID without `ed25519:`). */
  public_key: string;
  key_json: string;
}

/**
 * Signatures uploaded with `/keys/signatures/upload`, kept apart from the keys they sign so that a
 * re-upload of identical keys keeps them. `target_key_id` is a device ID or a cross-signing public key.
 */
export interface E2eSignaturesTable {
  signer_user_id: string;
  signer_key_id: string;
  target_user_id: string;
  target_key_id: string;
  signature: string;
}

/**
 * The device-list stream: one row each time a user's devices or cross-signing keys changed.
 * `for_user_id` is set when only that user needs to hear of it (their own user-signing signature of
 * another user's master key); null means everyone who shares a room with `user_id`.
 */
export interface DeviceListChangesTable {
  stream_id: number;
  user_id: string;
  for_user_id: string | null;
}

/** To-device messages waiting for their device to acknowledge them with its next sync token. */
export interface ToDeviceMessagesTable {
  stream_id: number;
  user_id: string;
  device_id: string;
  sender: string;
  type: string;
  content: string;
}

/** Transaction IDs of `/sendToDevice`, so a retried request is not delivered twice. */
export interface ToDeviceTxnIdsTable {
  user_id: string;
  device_id: string;
  txn_id: string;
  created_ts: number;
}

/**
 * Positions that must survive the rows that carried them: the to-device stream deletes delivered
 * messages, and must never hand out a position below one a client already holds.
 */
export interface StreamFloorsTable {
  stream: string;
  position: number;
}

/** A user's dehydrated device (MSC3814): its ID and the encrypted account data only the user's clients can open. */
export interface DehydratedDevicesTable {
  user_id: string;
  device_id: string;
  device_data: string;
}

export interface E2eTables {
  dehydrated_devices: DehydratedDevicesTable;
  e2e_device_keys: E2eDeviceKeysTable;
  e2e_one_time_keys: E2eOneTimeKeysTable;
  e2e_fallback_keys: E2eFallbackKeysTable;
  e2e_cross_signing_keys: E2eCrossSigningKeysTable;
  e2e_signatures: E2eSignaturesTable;
  device_list_changes: DeviceListChangesTable;
  to_device_messages: ToDeviceMessagesTable;
  to_device_txn_ids: ToDeviceTxnIdsTable;
  stream_floors: StreamFloorsTable;
}
