/**
 * Aliases of other servers (server-server API "Querying for information", `query/directory`): the
 * alias's own server is asked for the room ID and the servers to join through. Answers are kept
 * briefly, so that a client looking an alias up and then joining by it makes one request, not two;
 * failures are not kept, so a server that comes back is asked again at once.
 */
import type { JsonValue } from "../../protocol/json.js";
import { isJsonObject } from "../../protocol/json.js";
import { isValidRoomId } from "../../protocol/identifiers.js";
import { isValidServerName } from "../../protocol/identifiers-server-name.js";
import type { Clock } from "../clock.js";
import type { FederationClient } from "../federation/federation-client.js";
import { ExpiringCache } from "../federation/server-discovery-cache.js";
import { badRemoteAnswer, remoteQueryError } from "../federation/remote-query-error.js";

export interface AliasTarget {
  room_id: string;
  servers: string[];
}

/** How long an answer is reused: long enough for a lookup then a join, short enough for moved aliases. */
const ANSWER_TTL_MS = 30_000;
const MAX_CACHED = 1_000;

export class RemoteAliases {
  private readonly cache: ExpiringCache<AliasTarget>;

  constructor(
    private readonly client: FederationClient,
    clock: Clock,
  ) {
    this.cache = new ExpiringCache(MAX_CACHED, clock);
  }

  /** The room `alias` points to according to `server` (the alias's server); 404 M_NOT_FOUND when it has none. */
  query(alias: string, server: string): Promise<AliasTarget> {
    return this.cache.get(alias, async () => {
      let answer: JsonValue;
      try {
        answer = await this.client.request(server, "GET", `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent(alias)}`);
      } catch (error) {
        throw remoteQueryError(error, `Room alias ${alias} not found`);
      }
      const target = parseAnswer(answer, server);
      if (!target) throw badRemoteAnswer(server);
      this.cache.set(alias, target, ANSWER_TTL_MS);
      return target;
    });
  }
}

/**
 * The spec's `{room_id, servers}`. The alias's server is added when missing (it answered, so it knows
 * the room, as Synapse does); invalid server names are dropped rather than tried.
 */
function parseAnswer(answer: JsonValue, server: string): AliasTarget | undefined {
  if (!isJsonObject(answer)) return undefined;
  const roomId = answer["room_id"];
  const servers = answer["servers"];
  if (typeof roomId !== "string" || !isValidRoomId(roomId) || !Array.isArray(servers)) return undefined;
  const valid = servers.filter((s): s is string => typeof s === "string" && isValidServerName(s));
  return { room_id: roomId, servers: [...new Set([...valid, server])] };
}
