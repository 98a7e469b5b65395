/**
 * `GET /_matrix/federation/v1/make_leave/{roomId}/{userId}` and `GET /_matrix/federation/v1/make_knock/
 * {roomId}/{userId}` (server-server API "Leaving Rooms", "Knocking upon a room"): an event template for
 * a user of the asking server, built on our current state and checked against the auth rules, without
 * hashes or signatures, as for make_join.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventSender } from "../rooms/event-sender.js";

export class MakeMembershipService {
  constructor(
    private readonly cache: CurrentStateCache,
    private readonly sender: EventSender,
  ) {}

  /** The leave template (403 other server's user or refused leave, 404 unknown room). */
  makeLeave(origin: string, roomId: string, userId: string): Promise<{ room_version: string; event: JsonObject }> {
    return this.make(origin, roomId, userId, "leave", undefined);
  }

  /** The knock template; 400 M_INCOMPATIBLE_ROOM_VERSION when the room's version is not among `versions`. */
  makeKnock(origin: string, roomId: string, userId: string, versions: readonly string[]): Promise<{ room_version: string; event: JsonObject }> {
    return this.make(origin, roomId, userId, "knock", versions);
  }

  private async make(origin: string, roomId: string, userId: string, membership: "leave" | "knock", versions: readonly string[] | undefined): Promise<{ room_version: string; event: JsonObject }> {
    if (!userId.startsWith("@") || domainOfId(userId) !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The user is not on the server asking");
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    if (versions !== undefined && !versions.includes(head.version.id)) {
      throw new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", `The room's version ${head.version.id} is not supported by the knocking server`, { room_version: head.version.id });
    }
    if (membership === "knock" && !head.version.knocking) throw new MatrixError(403, "M_FORBIDDEN", "This room's version does not allow knocking");
    // Building the event as for a local sender checks its format and the auth rules (403 when refused).
    const built = await this.sender.build(head, { type: "m.room.member", sender: userId, stateKey: userId, content: { membership } }, new Map());
    const { hashes: _hashes, signatures: _signatures, unsigned: _unsigned, event_id: _eventId, ...template } = built.pdu;
    return { room_version: head.version.id, event: template as JsonObject };
  }
}
