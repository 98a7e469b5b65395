/**
 * Knocking on a room this server is not in (server-server API "Knocking upon a room"): make_knock
 * (offering the room versions that allow knocking) and send_knock through the servers given, then the
 * knock is recorded out of band with the `knock_room_state` the resident server answered, which /sync
 * shows in `rooms.knock`. An invite that follows arrives through /invite and replaces it.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import { isJsonObject } from "../../protocol/json.js";
import { findRoomVersion, SUPPORTED_ROOM_VERSIONS } from "../../protocol/room-versions.js";
import type { Logger } from "../../logger.js";
import { FederationError } from "./federation-client.js";
import type { MembershipHandshake } from "./membership-handshake.js";
import type { OutOfBandMemberships } from "./out-of-band-memberships.js";
import { toStrippedEvents } from "./stripped-state.js";

const KNOCKING_VERSIONS = SUPPORTED_ROOM_VERSIONS.filter((id) => findRoomVersion(id)?.knocking === true);

export class RemoteKnocker {
  constructor(
    private readonly handshake: MembershipHandshake,
    private readonly outOfBand: OutOfBandMemberships,
    private readonly log: Logger,
    private readonly serverName: string,
  ) {}

  /** Knocks through the first of `servers` that lets us; `content` completes the knock (reason, profile). */
  async knock(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void> {
    const candidates = [...new Set(servers)].filter((s) => s !== "" && s !== this.serverName);
    let failure = new MatrixError(404, "M_NOT_FOUND", "No known servers for this room");
    for (const server of candidates) {
      try {
        const done = await this.handshake.run(server, "knock", roomId, userId, content, KNOCKING_VERSIONS);
        const stripped = toStrippedEvents(isJsonObject(done.answer) ? done.answer["knock_room_state"] : undefined);
        const others = [...candidates.filter((s) => s !== server), ...stripped.map((e) => domainOfId(String(e["sender"])))];
        await this.outOfBand.record({
          userId,
          roomId,
          roomVersion: done.version.id,
          membership: "knock",
          eventId: done.eventId,
          event: done.pdu as unknown as JsonObject,
          strippedState: stripped,
          servers: [...new Set([server, ...others])].filter((s) => s !== "" && s !== this.serverName),
        });
        return;
      } catch (error) {
        failure = knockError(error);
        this.log.info({ roomId, server, error: (error as Error).message }, "remote knock failed");
      }
    }
    throw failure;
  }
}

/** The client's error for a resident server's refusal; its own text is never passed on. */
function knockError(error: unknown): MatrixError {
  if (error instanceof MatrixError) return error;
  if (error instanceof FederationError) {
    if (error.status === 403) return new MatrixError(403, "M_FORBIDDEN", "The room's server refused the knock");
    if (error.status === 404) return new MatrixError(404, "M_NOT_FOUND", "The room's server does not know the room");
    if (error.errcode === "M_INCOMPATIBLE_ROOM_VERSION") return new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", "The room's version is not supported here");
  }
  return new MatrixError(502, "M_UNKNOWN", "Could not knock on the room through its servers");
}
