/**
 * Keys of users on other servers (server-server API "End-to-End Encryption"): `/keys/query` and
 * `/keys/claim` for remote users go to their servers' `/user/keys/query` and `/user/keys/claim`, one
 * request per server, all at once, within the client's timeout. A server that fails is reported in
 * `failures` as Synapse does; what it answers about users of other servers is ignored.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { FederationError, type FederationClient } from "../federation/federation-client.js";

export interface RemoteQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  failures: Record<string, unknown>;
}

/** The recommended default of the spec's `timeout` (10 seconds). */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;

export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

/** A per-user request split by the users' servers (one federation request each). */
function byServer<T>(request: Record<string, T>): Map<string, Record<string, T>> {
  const out = new Map<string, Record<string, T>>();
  for (const [userId, value] of Object.entries(request)) {
    const server = serverOf(userId);
    let users = out.get(server);
    if (!users) out.set(server, (users = {}));
    users[userId] = value;
  }
  return out;
}

function failure(error: unknown): { status: number; message: string } {
  // The remote server's own error text is not passed on (ARCHITECTURE.md: never forward it to clients).
  if (error instanceof FederationError) return { status: error.status === 0 ? 503 : error.status, message: error.status === 0 ? "Not ready for retry" : "Remote server error" };
  return { status: 503, message: "Not ready for retry" };
}

/** Entries of `answer[field]` whose keys are users of `server`. */
function ofServer(answer: unknown, field: string, server: string): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  const section = isJsonObject(answer) ? answer[field] : undefined;
  if (!isJsonObject(section)) return out;
  for (const [userId, value] of Object.entries(section)) if (serverOf(userId) === server && isJsonObject(value)) out[userId] = value;
  return out;
}

export class RemoteKeys {
  constructor(private readonly client: FederationClient) {}

  /** Device and cross-signing keys of remote users, grouped by server. */
  async query(request: Record<string, readonly string[]>, timeoutMs: number): Promise<RemoteQueryResult> {
    const result: RemoteQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: {} };
    await Promise.all(
      [...byServer(request)].map(async ([server, users]) => {
        try {
          const answer = await this.client.request(server, "POST", "/_matrix/federation/v1/user/keys/query", { body: { device_keys: users as JsonObject[string] } as JsonObject, timeoutMs });
          for (const [userId, devices] of Object.entries(ofServer(answer, "device_keys", server))) {
            result.device_keys[userId] = Object.fromEntries(Object.entries(devices).filter(([, keys]) => isJsonObject(keys))) as Record<string, JsonObject>;
          }
          Object.assign(result.master_keys, ofServer(answer, "master_keys", server));
          Object.assign(result.self_signing_keys, ofServer(answer, "self_signing_keys", server));
        } catch (error) {
          result.failures[server] = failure(error);
        }
      }),
    );
    return result;
  }

  /** One-time keys of remote users' devices, grouped by server. */
  async claim(request: Record<string, Record<string, string>>, timeoutMs: number): Promise<{ one_time_keys: Record<string, JsonObject>; failures: Record<string, unknown> }> {
    const oneTimeKeys: Record<string, JsonObject> = {};
    const failures: Record<string, unknown> = {};
    await Promise.all(
      [...byServer(request)].map(async ([server, users]) => {
        try {
          const answer = await this.client.request(server, "POST", "/_matrix/federation/v1/user/keys/claim", { body: { one_time_keys: users }, timeoutMs });
          Object.assign(oneTimeKeys, ofServer(answer, "one_time_keys", server));
        } catch (error) {
          failures[server] = failure(error);
        }
      }),
    );
    return { one_time_keys: oneTimeKeys, failures };
  }
}
