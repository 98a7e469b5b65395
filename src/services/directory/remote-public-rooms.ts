/**
 * Another server's published room directory (server-server API "Published Room Directory"), for
 * `/publicRooms?server=`. A search (a filter) is a POST, which the remote server filters; a server that
 * does not know POST (404 or 405, or M_UNRECOGNIZED / M_NOT_FOUND) is asked with GET for its whole
 * list, filtered here without pagination, as Synapse does. Unfiltered pages are kept briefly (Synapse
 * keeps them 30 s too): a client scrolling a directory asks for the same pages again and again.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import type { Clock } from "../clock.js";
import { FederationError, type FederationClient } from "../federation/federation-client.js";
import { badRemoteAnswer, remoteQueryError } from "../federation/remote-query-error.js";
import { ExpiringCache } from "../federation/server-discovery-cache.js";
import type { PublicRoomsPage, PublicRoomsQuery, RemoteDirectories } from "./room-directory.js";
import type { PublicRoomChunk } from "./summary-fields.js";

const PAGE_TTL_MS = 30_000;
const MAX_CACHED = 200;
const PATH = "/_matrix/federation/v1/publicRooms";

export class RemotePublicRooms implements RemoteDirectories {
  private readonly pages: ExpiringCache<PublicRoomsPage>;

  constructor(
    private readonly client: FederationClient,
    clock: Clock,
  ) {
    this.pages = new ExpiringCache(MAX_CACHED, clock);
  }

  /** One page of `server`'s directory. */
  async list(server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage> {
    const filtered = query.searchTerm !== undefined || (query.roomTypes !== undefined && query.roomTypes.length > 0);
    if (!filtered) return this.cachedGet(server, query);
    try {
      return parsePage(await this.client.request(server, "POST", PATH, { body: postBody(query) }), server);
    } catch (error) {
      if (!postUnsupported(error)) throw remoteQueryError(error, "The server has no room directory");
    }
    // The whole list: the remote server's pages cannot be filtered here without skipping matches.
    const { thirdPartyInstanceId, includeAllNetworks } = query;
    const whole = await this.cachedGet(server, {
      ...(thirdPartyInstanceId !== undefined ? { thirdPartyInstanceId } : {}),
      ...(includeAllNetworks !== undefined ? { includeAllNetworks } : {}),
    });
    const chunk = whole.chunk.filter((room) => matchesLocally(room, query.searchTerm));
    return { chunk, total_room_count_estimate: chunk.length };
  }

  private cachedGet(server: string, query: PublicRoomsQuery): Promise<PublicRoomsPage> {
    const params = new URLSearchParams();
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    if (query.since !== undefined) params.set("since", query.since);
    if (query.includeAllNetworks !== undefined) params.set("include_all_networks", String(query.includeAllNetworks));
    if (query.thirdPartyInstanceId !== undefined) params.set("third_party_instance_id", query.thirdPartyInstanceId);
    const path = params.size > 0 ? `${PATH}?${params.toString()}` : PATH;
    const key = `${server} ${path}`;
    return this.pages.get(key, async () => {
      let answer: JsonValue;
      try {
        answer = await this.client.request(server, "GET", path);
      } catch (error) {
        throw remoteQueryError(error, "The server has no room directory");
      }
      const page = parsePage(answer, server);
      this.pages.set(key, page, PAGE_TTL_MS);
      return page;
    });
  }
}

function postBody(query: PublicRoomsQuery): JsonObject {
  const filter: JsonObject = {};
  if (query.searchTerm !== undefined) filter["generic_search_term"] = query.searchTerm;
  if (query.roomTypes !== undefined) filter["room_types"] = [...query.roomTypes];
  const body: JsonObject = { filter };
  if (query.limit !== undefined) body["limit"] = query.limit;
  if (query.since !== undefined) body["since"] = query.since;
  if (query.includeAllNetworks !== undefined) body["include_all_networks"] = query.includeAllNetworks;
  if (query.thirdPartyInstanceId !== undefined) body["third_party_instance_id"] = query.thirdPartyInstanceId;
  return body;
}

/** The answers of a server without the filtered (POST) directory, which Synapse falls back from. */
function postUnsupported(error: unknown): boolean {
  if (!(error instanceof FederationError)) return false;
  return error.status === 404 || error.status === 405 || error.errcode === "M_UNRECOGNIZED" || error.errcode === "M_NOT_FOUND";
}

/** The search of the fallback: as the local directory's, over what the remote server sent. */
function matchesLocally(room: PublicRoomChunk, term: string | undefined): boolean {
  const needle = term?.trim().toLowerCase();
  if (!needle) return true;
  return [room.name, room.topic, room.canonical_alias].some((text) => typeof text === "string" && text.toLowerCase().includes(needle));
}

/**
 * The spec's `public_rooms_response`. Entries are passed on as the remote server sent them (they are
 * its rooms), except those without the fields every entry must have, which a client could not show.
 */
function parsePage(answer: JsonValue, server: string): PublicRoomsPage {
  if (!isJsonObject(answer) || !Array.isArray(answer["chunk"])) throw badRemoteAnswer(server);
  const chunk = answer["chunk"].filter(isValidChunk) as unknown as PublicRoomChunk[];
  const estimate = answer["total_room_count_estimate"];
  const page: PublicRoomsPage = { chunk, total_room_count_estimate: typeof estimate === "number" && Number.isSafeInteger(estimate) && estimate >= 0 ? estimate : chunk.length };
  if (typeof answer["next_batch"] === "string") page.next_batch = answer["next_batch"];
  if (typeof answer["prev_batch"] === "string") page.prev_batch = answer["prev_batch"];
  return page;
}

function isValidChunk(entry: JsonValue): entry is JsonObject {
  return (
    isJsonObject(entry) &&
    typeof entry["room_id"] === "string" &&
    typeof entry["num_joined_members"] === "number" &&
    typeof entry["world_readable"] === "boolean" &&
    typeof entry["guest_can_join"] === "boolean"
  );
}
