/**
 * The two-step handshake with a resident server for memberships of rooms this server is not in
 * (server-server API "Leaving Rooms", "Knocking upon a room"): ask for a template (make_leave,
 * make_knock), check it is for this user and room, complete it (content, origin, timestamp, the event
 * ID in versions 1–2), hash and sign it, and send it (send_leave v2, send_knock v1).
 */
import { MatrixError } from "../../errors.js";
import type { Pdu } from "../../protocol/event.js";
import { computeEventId, generateV1EventId } from "../../protocol/event-id.js";
import { hashAndSignEvent } from "../../protocol/event-signing.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import { findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Clock } from "../clock.js";
import type { JoinRequester } from "./room-join.js";

export type HandshakeKind = "leave" | "knock";

export interface HandshakeResult {
  pdu: Pdu;
  eventId: string;
  version: RoomVersion;
  /** The resident server's answer to the send. */
  answer: JsonValue;
}

const PATHS: Record<HandshakeKind, { make: string; send: string }> = {
  leave: { make: "/_matrix/federation/v1/make_leave", send: "/_matrix/federation/v2/send_leave" },
  knock: { make: "/_matrix/federation/v1/make_knock", send: "/_matrix/federation/v1/send_knock" },
};

export class MembershipHandshake {
  constructor(
    private readonly client: JoinRequester,
    private readonly signingKey: SigningKey,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /**
   * Makes and sends `userId`'s `kind` event through `server`. `versions` are offered to make_knock;
   * `knownVersion` is used when a make_leave answer names none (older servers).
   */
  async run(server: string, kind: HandshakeKind, roomId: string, userId: string, content: JsonObject, versions: readonly string[], knownVersion?: string): Promise<HandshakeResult> {
    const room = encodeURIComponent(roomId);
    const query = kind === "knock" ? `?${versions.map((v) => `ver=${encodeURIComponent(v)}`).join("&")}` : "";
    const made = await this.client.request(server, "GET", `${PATHS[kind].make}/${room}/${encodeURIComponent(userId)}${query}`);
    const versionId = isJsonObject(made) && typeof made["room_version"] === "string" ? made["room_version"] : knownVersion;
    const version = versionId !== undefined ? findRoomVersion(versionId) : undefined;
    const template = isJsonObject(made) ? made["event"] : undefined;
    if (!version || !isJsonObject(template)) throw new MatrixError(502, "M_UNKNOWN", `Invalid make_${kind} answer`);
    if (template["type"] !== "m.room.member" || template["sender"] !== userId || template["state_key"] !== userId || template["room_id"] !== roomId) {
      throw new MatrixError(502, "M_UNKNOWN", `The ${kind} template is not for this user and room`);
    }
    const { hashes: _h, signatures: _s, unsigned: _u, event_id: _e, ...rest } = template;
    const draft: JsonObject = { ...rest, content: { ...content, membership: kind }, origin: this.serverName, origin_server_ts: this.clock.now() };
    if (version.eventIdFormat === "v1") draft["event_id"] = generateV1EventId(this.serverName);
    const pdu = hashAndSignEvent(draft, version, this.serverName, this.signingKey) as unknown as Pdu;
    const eventId = computeEventId(pdu, version);
    const answer = await this.client.request(server, "PUT", `${PATHS[kind].send}/${room}/${encodeURIComponent(eventId)}`, { body: pdu as unknown as JsonObject });
    return { pdu, eventId, version, answer };
  }
}
