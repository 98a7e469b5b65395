/**
 * Rejecting an invite to, or withdrawing a knock on, a room this server is not in (server-server API
 * "Leaving Rooms (Rejecting Invites)"): make_leave/send_leave through the servers known for the room,
 * the inviter's first. When none can be reached the invite is rejected here anyway, as the spec allows
 * ("rejecting invites from servers we cannot reach") and Synapse does: a leave event signed by us,
 * never sent, ends the membership, so the room moves from the invites to the left rooms.
 */
import { MatrixError } from "../../errors.js";
import { computeEventId, generateV1EventId } from "../../protocol/event-id.js";
import { hashAndSignEvent } from "../../protocol/event-signing.js";
import type { JsonObject } from "../../protocol/json.js";
import { findRoomVersion } from "../../protocol/room-versions.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { OutOfBandMembership } from "../../storage/out-of-band-membership-store.js";
import type { Logger } from "../../logger.js";
import type { Clock } from "../clock.js";
import type { MembershipHandshake } from "./membership-handshake.js";
import type { OutOfBandMemberships } from "./out-of-band-memberships.js";

export class RemoteLeaver {
  constructor(
    private readonly handshake: MembershipHandshake,
    private readonly outOfBand: OutOfBandMemberships,
    private readonly signingKey: SigningKey,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly serverName: string,
  ) {}

  /** Leaves a room known only through an invite or knock; 403 when the user has neither. */
  async leave(roomId: string, userId: string, reason: string | undefined): Promise<void> {
    const current = await this.outOfBand.get(userId, roomId);
    if (!current) throw new MatrixError(403, "M_FORBIDDEN", "You are not a member of this room");
    if (current.membership === "leave") return; // leaving again is not an error (as for rooms of ours)
    const content: JsonObject = reason !== undefined ? { reason } : {};
    for (const server of current.servers.filter((s) => s !== this.serverName)) {
      try {
        const done = await this.handshake.run(server, "leave", roomId, userId, content, [], current.roomVersion);
        await this.recordLeave(current, done.eventId, done.pdu as unknown as JsonObject);
        return;
      } catch (error) {
        this.log.info({ roomId, server, error: (error as Error).message }, "remote leave failed");
      }
    }
    await this.leaveLocally(current, content);
  }

  /** The leave no other server will see: signed by us, following the invite or knock it ends. */
  private async leaveLocally(current: OutOfBandMembership, content: JsonObject): Promise<void> {
    const version = findRoomVersion(current.roomVersion);
    if (!version) throw new MatrixError(500, "M_UNKNOWN", "Unsupported room version");
    const depth = typeof current.event["depth"] === "number" ? current.event["depth"] + 1 : 1;
    const draft: JsonObject = {
      room_id: current.roomId,
      type: "m.room.member",
      state_key: current.userId,
      sender: current.userId,
      content: { ...content, membership: "leave" },
      origin: this.serverName,
      origin_server_ts: this.clock.now(),
      depth,
      prev_events: [],
      auth_events: [],
    };
    if (version.eventIdFormat === "v1") draft["event_id"] = generateV1EventId(this.serverName);
    const pdu = hashAndSignEvent(draft, version, this.serverName, this.signingKey);
    await this.recordLeave(current, computeEventId(pdu, version), pdu);
  }

  private async recordLeave(current: OutOfBandMembership, eventId: string, pdu: JsonObject): Promise<void> {
    await this.outOfBand.record({ ...current, membership: "leave", eventId, event: pdu, strippedState: [] });
  }
}
