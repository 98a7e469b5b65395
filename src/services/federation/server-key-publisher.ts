/**
 * This server's key document, `GET /_matrix/key/v2/server` (server-server API "Publishing Keys"):
 * the current verify key, signed by itself, valid for `key_validity_ms` (at most 7 days, as the spec
 * asks), and the keys it used before (`federation.old_signing_keys`, after a key rotation) with the
 * time they stopped being used, so that others can still check events signed with them. The signed
 * document is kept and re-made once half its validity has passed, so that every request does not sign
 * again and others never get a document about to expire.
 */
import type { JsonObject } from "../../protocol/json.js";
import { signJson } from "../../protocol/signing.js";
import { publicKeyBase64, type SigningKey } from "../../protocol/signing-key.js";
import type { Clock } from "../clock.js";

export class ServerKeyPublisher {
  private document: { json: JsonObject; validUntilTs: number } | undefined;

  constructor(
    private readonly serverName: string,
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly validityMs: number,
    /** Keys used before, by key ID: unpadded base64 public key and when it stopped being used. */
    private readonly oldKeys: Readonly<Record<string, { key: string; expired_ts: number }>> = {},
  ) {}

  /** The key document as served (a shared object: callers must not modify it). */
  keyDocument(): JsonObject {
    const now = this.clock.now();
    if (!this.document || this.document.validUntilTs - now < this.validityMs / 2) {
      const validUntilTs = now + this.validityMs;
      const unsigned = {
        server_name: this.serverName,
        verify_keys: { [this.key.keyId]: { key: publicKeyBase64(this.key) } },
        old_verify_keys: Object.fromEntries(Object.entries(this.oldKeys).map(([id, old]) => [id, { key: old.key, expired_ts: old.expired_ts }])),
        valid_until_ts: validUntilTs,
      };
      this.document = { json: signJson(unsigned, this.serverName, this.key) as unknown as JsonObject, validUntilTs };
    }
    return this.document.json;
  }

  /** This server's own public key with that ID, if it is ours. */
  ownKey(keyId: string): Uint8Array | undefined {
    return keyId === this.key.keyId ? this.key.publicKey : undefined;
  }
}
