/**
 * `GET /_matrix/federation/v1/make_join/{roomId}/{userId}` (server-server API "Joining Rooms"): a
 * join event template for a user of the asking server, built on our current state (prev_events,
 * auth_events, depth) and checked against the auth rules, without hashes or signatures: the joining
 * server completes and signs it. In a restricted room one of our members vouches for the join.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventSender } from "../rooms/event-sender.js";
import type { RestrictedJoinAuthoriser } from "../rooms/restricted-join-authoriser.js";

export class MakeJoinService {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly sender: EventSender,
    private readonly restricted: RestrictedJoinAuthoriser,
  ) {}

  /** The template, or the spec's errors (403 other server's user or refused join, 404 unknown room, 400 incompatible version). */
  async makeJoin(origin: string, roomId: string, userId: string, supportedVersions: readonly string[]): Promise<{ room_version: string; event: JsonObject }> {
    if (domainOfId(userId) !== origin || !userId.startsWith("@")) throw new MatrixError(403, "M_FORBIDDEN", "The user is not on the server asking");
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const versions = supportedVersions.length > 0 ? supportedVersions : ["1"];
    if (!versions.includes(head.version.id)) {
      throw new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", `The room's version ${head.version.id} is not supported by the joining server`, { room_version: head.version.id });
    }
    // Building the event as for a local sender checks its format and the auth rules (403 when refused).
    // A restricted room: one of our members who may invite vouches for the joiner (our server then
    // co-signs the join in send_join); M_UNABLE_TO_AUTHORISE_JOIN lets the joining server try another.
    const authoriser = await this.restricted.authoriser(head, userId, "M_UNABLE_TO_AUTHORISE_JOIN");
    const content: JsonObject = { membership: "join", ...(authoriser !== undefined ? { join_authorised_via_users_server: authoriser } : {}) };
    const built = await this.sender.build(head, { type: "m.room.member", sender: userId, stateKey: userId, content }, new Map());
    const { hashes: _hashes, signatures: _signatures, unsigned: _unsigned, event_id: _eventId, ...template } = built.pdu;
    return { room_version: head.version.id, event: template as JsonObject };
  }
}
