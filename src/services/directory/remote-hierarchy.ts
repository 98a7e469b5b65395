/**
 * Spaces and rooms this server is not in, asked of a server that is (server-server API "Spaces",
 * `GET /hierarchy/{roomId}`): the room's summary with its child events, the summaries of the children
 * that server could show us, and the children it says nobody here can reach. The spec asks for these
 * answers to be cached; a minute keeps the stateless pagination of /hierarchy from asking again for
 * every page. A server that fails is skipped for the next one named by the child's `via`.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import type { Clock } from "../clock.js";
import type { FederationClient } from "../federation/federation-client.js";
import { ExpiringCache } from "../federation/server-discovery-cache.js";
import { compareChildren, hasValidVia, type StrippedChild } from "./space-children.js";
import type { RoomSummaryFields } from "./summary-fields.js";

export type SummaryWithChildren = RoomSummaryFields & { children_state: StrippedChild[] };

export interface RemoteSpace {
  room: SummaryWithChildren;
  /** Summaries of the room's children, by room ID. */
  children: Map<string, SummaryWithChildren>;
  inaccessible: Set<string>;
}

const ANSWER_TTL_MS = 60_000;
const MAX_CACHED = 500;
/** Servers tried for one room at most: a `via` list is written by anyone who may send the child event. */
const MAX_SERVERS_TRIED = 5;

export class RemoteHierarchy {
  private readonly answers: ExpiringCache<RemoteSpace | null>;

  constructor(
    private readonly client: FederationClient,
    clock: Clock,
    private readonly serverName: string,
  ) {
    this.answers = new ExpiringCache(MAX_CACHED, clock);
  }

  /** What the first of `servers` that answers says of `roomId`; undefined when none could. */
  async space(roomId: string, servers: readonly string[], suggestedOnly: boolean): Promise<RemoteSpace | undefined> {
    const key = `${suggestedOnly ? "s" : "a"} ${roomId}`;
    const answer = await this.answers.get(key, async () => {
      const candidates = [...new Set(servers)].filter((s) => s !== this.serverName).slice(0, MAX_SERVERS_TRIED);
      for (const server of candidates) {
        const found = await this.ask(server, roomId, suggestedOnly);
        if (found) {
          this.answers.set(key, found, ANSWER_TTL_MS);
          return found;
        }
      }
      return null;
    });
    return answer ?? undefined;
  }

  private async ask(server: string, roomId: string, suggestedOnly: boolean): Promise<RemoteSpace | undefined> {
    let answer: JsonValue;
    try {
      answer = await this.client.request(server, "GET", `/_matrix/federation/v1/hierarchy/${encodeURIComponent(roomId)}?suggested_only=${String(suggestedOnly)}`);
    } catch {
      // Unreachable, or the room is unknown there or closed to us: the next server may do better.
      return undefined;
    }
    if (!isJsonObject(answer)) return undefined;
    const room = parseSummary(answer["room"]);
    if (!room || room.room_id !== roomId) return undefined;
    // Only the children the room lists are taken: a server cannot slip in summaries of other rooms.
    const listed = new Set(room.children_state.map((c) => c.state_key));
    const children = new Map<string, SummaryWithChildren>();
    for (const value of Array.isArray(answer["children"]) ? answer["children"] : []) {
      const child = parseSummary(value);
      if (child && listed.has(child.room_id)) children.set(child.room_id, child);
    }
    const inaccessible = new Set<string>();
    for (const value of Array.isArray(answer["inaccessible_children"]) ? answer["inaccessible_children"] : []) {
      if (typeof value === "string" && listed.has(value)) inaccessible.add(value);
    }
    return { room, children, inaccessible };
  }
}

const STRING_FIELDS = ["name", "topic", "avatar_url", "canonical_alias", "join_rule", "room_type", "room_version", "encryption"] as const;

/** A room summary as another server sent it, reduced to the fields of room_summary.yaml with valid types. */
function parseSummary(value: JsonValue | undefined): SummaryWithChildren | undefined {
  if (!isJsonObject(value)) return undefined;
  const roomId = value["room_id"];
  const joined = value["num_joined_members"];
  if (typeof roomId !== "string" || typeof joined !== "number" || !Number.isSafeInteger(joined) || joined < 0) return undefined;
  const out: JsonObject = { room_id: roomId, num_joined_members: joined, world_readable: value["world_readable"] === true, guest_can_join: value["guest_can_join"] === true };
  for (const field of STRING_FIELDS) {
    const text = value[field];
    if (typeof text === "string" && text !== "") out[field] = text;
  }
  const allowed = value["allowed_room_ids"];
  if (Array.isArray(allowed)) out["allowed_room_ids"] = allowed.filter((id) => typeof id === "string");
  const children = (Array.isArray(value["children_state"]) ? value["children_state"] : []).flatMap((c) => parseChild(c) ?? []);
  out["children_state"] = children.sort(compareChildren) as unknown as JsonValue;
  return out as unknown as SummaryWithChildren;
}

function parseChild(value: JsonValue): StrippedChild | undefined {
  if (!isJsonObject(value) || value["type"] !== "m.space.child") return undefined;
  const { state_key: stateKey, content, sender, origin_server_ts: ts } = value;
  if (typeof stateKey !== "string" || !isJsonObject(content) || typeof sender !== "string" || typeof ts !== "number" || !Number.isSafeInteger(ts)) return undefined;
  if (!hasValidVia(content)) return undefined;
  return { type: "m.space.child", state_key: stateKey, content, sender, origin_server_ts: ts };
}
