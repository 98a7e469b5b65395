/** Federation: other servers' signing keys and key documents; the outbox per destination; received transactions. */
import type { Generated } from "kysely";

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

/** What waits to be sent to a destination: written in the transaction that produced it, deleted once acknowledged. */
export interface FederationOutboxTable {
  id: Generated<number>;
  destination: string;
  /** "edu" or "pdu": the JSON of the EDU or of the event as sent. */
  kind: string;
  body: string;
  created_ts: number;
}

/** Transactions received from other servers, so a retried one gets the same answer and is not processed twice. */
export interface FederationInboundTxnsTable {
  origin: string;
  txn_id: string;
  response: string;
  received_ts: number;
}

export interface FederationTables {
  server_keys: ServerKeysTable;
  server_key_documents: ServerKeyDocumentsTable;
  federation_outbox: FederationOutboxTable;
  federation_inbound_txns: FederationInboundTxnsTable;
}
