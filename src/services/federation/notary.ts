/**
 * This server as a notary (server-server API "Querying Keys Through Another Server"): the key
 * documents of the servers asked for, as they signed them, countersigned by us; fetched anew when the
 * stored one expires before the `minimum_valid_until_ts` asked for. A server we cannot reach is
 * simply missing from the answer.
 */
import type { JsonObject } from "../../protocol/json.js";
import { signJson } from "../../protocol/signing.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Clock } from "../clock.js";
import type { KeyRing } from "./key-ring.js";

type Criteria = Record<string, { minimum_valid_until_ts?: number | undefined }>;

/** Servers one query may ask about: each may need a fetch. */
const MAX_SERVERS_PER_QUERY = 100;

export class NotaryService {
  constructor(
    private readonly keyRing: KeyRing,
    private readonly serverName: string,
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly version: string,
  ) {}

  /** The software this server runs, for /_matrix/federation/v1/version. */
  implementation(): { name: string; version: string } {
    return { name: "Tessera", version: this.version };
  }

  async query(servers: Record<string, Criteria>): Promise<{ server_keys: JsonObject[] }> {
    const out: JsonObject[] = [];
    for (const [serverName, keys] of Object.entries(servers).slice(0, MAX_SERVERS_PER_QUERY)) {
      const minimum = Math.max(0, ...Object.values(keys).map((k) => k.minimum_valid_until_ts ?? 0));
      const document = await this.keyRing.document(serverName, minimum || this.clock.now()).catch(() => undefined);
      if (!document) continue;
      out.push(signJson(document, this.serverName, this.key) as unknown as JsonObject);
    }
    return { server_keys: out };
  }
}
