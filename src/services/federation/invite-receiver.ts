/**
 * `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}` and its v1 (server-server API "Inviting to
 * a room"): another server asks us to co-sign an invite of one of our users. The event must pass the
 * checks on received PDUs (format, signatures, hash), be an invite of an existing local user by a
 * user of the asking server, in a room version we support and not for a user banned from a room we
 * know. We answer the event with our signature; unless we are in the room (then it also reaches us as
 * a room event, through /send), the invite is recorded out of band with the stripped state the other
 * server gave, which is what /sync shows the invitee.
 */
import { MatrixError } from "../../errors.js";
import { addEventSignature } from "../../protocol/event-signing.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Db } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { EventChecker } from "./event-checks.js";
import type { OutOfBandMemberships } from "./out-of-band-memberships.js";
import { toStrippedEvents } from "./stripped-state.js";

/** What the receiver needs of the user store. */
export interface LocalUsers {
  exists(userId: string): Promise<boolean>;
}

export class InviteReceiver {
  constructor(
    private readonly db: Db,
    private readonly checker: EventChecker,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly roomServers: FederatedRoomStore,
    private readonly users: LocalUsers,
    private readonly outOfBand: OutOfBandMemberships,
    private readonly signingKey: SigningKey,
    private readonly serverName: string,
  ) {}

  /** v2: `{room_version, event, invite_room_state}`; answers `{event}` with our signature. */
  async inviteV2(origin: string, roomId: string, eventId: string, body: JsonObject): Promise<{ event: JsonObject }> {
    const versionId = body["room_version"];
    if (typeof versionId !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "room_version is required");
    const version = findRoomVersion(versionId);
    if (!version) throw new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", `Room version ${versionId} is not supported here`, { room_version: versionId });
    const event = body["event"];
    if (!isJsonObject(event)) throw new MatrixError(400, "M_INVALID_PARAM", "event must be an object");
    return { event: await this.receive(origin, roomId, eventId, event, version, body["invite_room_state"]) };
  }

  /** v1 (room versions 1 and 2 only): the event itself, with the stripped state in `unsigned`; answers `[200, {event}]`. */
  async inviteV1(origin: string, roomId: string, eventId: string, body: JsonObject): Promise<[number, { event: JsonObject }]> {
    const known = await this.cache.find(roomId);
    const version = known?.version ?? (findRoomVersion("1") as RoomVersion);
    const unsigned = isJsonObject(body["unsigned"]) ? body["unsigned"] : {};
    return [200, { event: await this.receive(origin, roomId, eventId, body, version, unsigned["invite_room_state"]) }];
  }

  private async receive(origin: string, roomId: string, eventId: string, raw: JsonObject, version: RoomVersion, inviteRoomState: unknown): Promise<JsonObject> {
    if (raw["type"] !== "m.room.member" || !isJsonObject(raw["content"]) || raw["content"]["membership"] !== "invite") {
      throw new MatrixError(400, "M_INVALID_PARAM", "Not an invite event");
    }
    const target = raw["state_key"];
    if (typeof target !== "string" || domainOfId(target) !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "The invited user is not on this server");
    if (typeof raw["sender"] !== "string" || domainOfId(raw["sender"]) !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The inviting user is not on the server sending the invite");
    const checked = await this.checker.check(raw, version);
    if (!checked.ok) throw checked.badFormat ? new MatrixError(400, "M_INVALID_PARAM", checked.reason) : new MatrixError(403, "M_FORBIDDEN", checked.reason);
    if (!checked.contentHashValid) throw new MatrixError(400, "M_INVALID_PARAM", "The event's content hash does not match");
    if (checked.event.event_id !== eventId) throw new MatrixError(400, "M_INVALID_PARAM", "The event ID does not match the path");
    if (checked.event.room_id !== roomId) throw new MatrixError(400, "M_INVALID_PARAM", "The event is for another room");
    // The spec names no status for an unknown invitee; like the client API's invite (and Conduit), 404.
    if (!(await this.users.exists(target))) throw new MatrixError(404, "M_NOT_FOUND", "Unknown user");

    const head = await this.cache.find(roomId);
    if (head && (await this.reader.membership(head, target)) === "ban") throw new MatrixError(403, "M_FORBIDDEN", "The invited user is banned from the room");
    const signed = addEventSignature(raw, version, this.serverName, this.signingKey) as JsonObject;
    const weAreIn = head ? (await this.roomServers.joinedServers(this.db.kysely, head.room.roomNid)).has(this.serverName) : false;
    if (!weAreIn) {
      const stripped = toStrippedEvents(inviteRoomState);
      const servers = [origin, domainOfId(roomId), ...stripped.map((e) => domainOfId(String(e["sender"])))].filter((s) => s !== "" && s !== this.serverName);
      const { unsigned: _unsigned, ...stored } = signed;
      await this.outOfBand.record({
        userId: target,
        roomId,
        roomVersion: version.id,
        membership: "invite",
        eventId,
        event: stored,
        strippedState: stripped,
        servers: [...new Set(servers)],
      });
    }
    return signed;
  }
}
