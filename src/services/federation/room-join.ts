/**
 * Joining a room this server is not in (server-server API "Joining Rooms"): ask a resident server for
 * a join template (make_join, offering every room version we support), complete it (timestamp,
 * origin, and the event ID in versions 1–2), hash and sign it, send it (send_join v2), then check
 * the answer — every event's signatures and hashes (invalid ones dropped), the auth chain and state
 * against the auth rules, our join against that state — and create the room locally from it.
 * Candidate servers are tried in turn; errors of remote servers are never passed on as they are.
 */
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import { hashAndSignEvent } from "../../protocol/event-signing.js";
import { computeEventId, generateV1EventId } from "../../protocol/event-id.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import { createEventIdFromRoomId } from "../../protocol/room-id.js";
import { findRoomVersion, SUPPORTED_ROOM_VERSIONS, type RoomVersion } from "../../protocol/room-versions.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Clock } from "../clock.js";
import type { EventChecker } from "./event-checks.js";
import { authByAuthEvents, authByState } from "./event-checks-auth.js";
import { FederationError } from "./federation-client.js";
import type { JoinedRoom, RoomJoinPersister } from "./room-join-persist.js";
import { authoriseTogether } from "./auth-chain-check.js";

/** The servers to send to and complete the state from: the one we joined through first. */
function partialServers(via: string, inRoom: JsonValue | undefined, ourName: string): string[] {
  const listed = Array.isArray(inRoom) ? inRoom.filter((s): s is string => typeof s === "string") : [];
  return [...new Set([via, ...listed])].filter((s) => s !== ourName);
}

/** What joining needs of the federation client. */
export interface JoinRequester {
  request(destination: string, method: "GET" | "PUT", path: string, options?: { body?: JsonObject }): Promise<JsonValue>;
}

type Checked = { pdu: Pdu; event: RoomEvent };

export class RemoteJoiner {
  constructor(
    private readonly client: JoinRequester,
    private readonly checker: EventChecker,
    private readonly persister: RoomJoinPersister,
    private readonly signingKey: SigningKey,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly serverName: string,
    /** Ask for a reduced answer (no member events) and complete the state in the background. */
    private readonly partialState: { enabled: boolean; joined: (roomId: string) => void } = { enabled: false, joined: () => undefined },
  ) {}

  /** Joins `userId` to `roomId` through the first of `servers` that lets it; `content` completes the member event. */
  async join(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void> {
    const candidates = [...new Set(servers)].filter((s) => s !== this.serverName);
    if (candidates.length === 0) throw new MatrixError(404, "M_NOT_FOUND", "No known servers for this room");
    let failure: MatrixError = new MatrixError(404, "M_NOT_FOUND", "No known servers for this room");
    for (const server of candidates) {
      try {
        await this.joinVia(server, roomId, userId, content);
        return;
      } catch (error) {
        failure = this.clientError(error);
        this.log.info({ roomId, server, error: (error as Error).message }, "remote join failed");
      }
    }
    throw failure;
  }

  private clientError(error: unknown): MatrixError {
    if (error instanceof MatrixError) return error;
    if (error instanceof FederationError) {
      if (error.status === 403) return new MatrixError(403, "M_FORBIDDEN", "The room's server refused the join");
      if (error.status === 404) return new MatrixError(404, "M_NOT_FOUND", "The room's server does not know the room");
      if (error.errcode === "M_INCOMPATIBLE_ROOM_VERSION") return new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", "The room's version is not supported here");
    }
    return new MatrixError(502, "M_UNKNOWN", "Could not join the room through its servers");
  }

  private async joinVia(server: string, roomId: string, userId: string, content: JsonObject): Promise<void> {
    const query = SUPPORTED_ROOM_VERSIONS.map((v) => `ver=${encodeURIComponent(v)}`).join("&");
    const made = await this.client.request(server, "GET", `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}?${query}`);
    const version = isJsonObject(made) && typeof made["room_version"] === "string" ? findRoomVersion(made["room_version"]) : undefined;
    const template = isJsonObject(made) ? made["event"] : undefined;
    if (!version || !isJsonObject(template)) throw new MatrixError(502, "M_UNKNOWN", "Invalid make_join answer");
    if (template["type"] !== "m.room.member" || template["sender"] !== userId || template["state_key"] !== userId || template["room_id"] !== roomId) {
      throw new MatrixError(502, "M_UNKNOWN", "The join template is not for this user and room");
    }
    const { hashes: _h, signatures: _s, unsigned: _u, event_id: _e, ...rest } = template;
    const templateContent = isJsonObject(template["content"]) ? template["content"] : {};
    const draft: JsonObject = { ...rest, content: { ...templateContent, ...content, membership: "join" }, origin: this.serverName, origin_server_ts: this.clock.now() };
    if (version.eventIdFormat === "v1") draft["event_id"] = generateV1EventId(this.serverName);
    const signed = hashAndSignEvent(draft, version, this.serverName, this.signingKey) as unknown as Pdu;
    const eventId = computeEventId(signed, version);
    const omit = this.partialState.enabled ? "?omit_members=true" : "";
    const answer = await this.client.request(server, "PUT", `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}${omit}`, { body: signed as JsonObject });
    if (!isJsonObject(answer) || !Array.isArray(answer["state"]) || !Array.isArray(answer["auth_chain"])) throw new MatrixError(502, "M_UNKNOWN", "Invalid send_join answer");
    // A resident server may answer in full though we asked for less (servers that do not implement it).
    const partial = this.partialState.enabled && answer["members_omitted"] === true ? partialServers(server, answer["servers_in_room"], this.serverName) : undefined;

    const join = await this.joinEvent(signed, eventId, answer["event"], version);
    const events = await this.checkedEvents(roomId, version, [...answer["state"], ...answer["auth_chain"]]);
    const accepted = this.authorised(version, events);
    const state = this.stateOf(roomId, version, answer["state"], accepted);
    const lookup = (id: string): RoomEvent | undefined => accepted.get(id)?.event;
    // Without the members (partial state) our own earlier membership may be missing from the state:
    // the join is then checked against its auth events only, as Synapse does.
    const refusal = (partial ? undefined : authByState(version, join.event, state, lookup)) ?? authByAuthEvents(version, join.event, lookup);
    if (refusal !== undefined) throw new MatrixError(403, "M_FORBIDDEN", `Our join does not pass the room's auth rules: ${refusal}`);
    const joined: JoinedRoom = { roomId, version, events: accepted, state, join, ...(partial ? { partialServers: partial } : {}) };
    if (!(await this.persister.persist(joined))) this.log.info({ roomId }, "room appeared while joining; join not stored twice");
    else if (partial) this.partialState.joined(roomId);
  }

  /** The resident server may have co-signed our join (restricted rooms); otherwise ours as sent. */
  private async joinEvent(signed: Pdu, eventId: string, returned: JsonValue | undefined, version: RoomVersion): Promise<Checked> {
    if (returned !== undefined) {
      const checked = await this.checker.check(returned, version);
      if (checked.ok && checked.contentHashValid && checked.event.event_id === eventId) return { pdu: checked.pdu, event: checked.event };
    }
    const checked = await this.checker.check(signed, version);
    if (!checked.ok) throw new Error(`our own join fails its checks: ${checked.reason}`);
    return { pdu: checked.pdu, event: checked.event };
  }

  /** The events of the answer whose format, signatures and hashes check out, by ID. */
  private async checkedEvents(roomId: string, version: RoomVersion, raw: readonly JsonValue[]): Promise<Map<string, Checked>> {
    const out = new Map<string, Checked>();
    for (const item of raw) {
      const checked = await this.checker.check(item, version);
      if (!checked.ok || checked.event.room_id !== roomId) continue;
      out.set(checked.event.event_id, { pdu: checked.pdu, event: checked.event });
    }
    return out;
  }

  /** The events that pass the auth rules against their own auth events, which must themselves pass. */
  private authorised(version: RoomVersion, events: ReadonlyMap<string, Checked>): Map<string, Checked> {
    const { accepted, refused } = authoriseTogether(version, [...events.values()]);
    if (refused.length > 0) this.log.info({ count: refused.length }, "events of a send_join answer refused by the auth rules");
    return accepted;
  }

  /** The state map of the answer's accepted state events; it must hold this room's create event. */
  private stateOf(roomId: string, version: RoomVersion, raw: readonly JsonValue[], accepted: ReadonlyMap<string, Checked>): Map<StateKey, string> {
    const state = new Map<StateKey, string>();
    for (const item of raw) {
      if (!isJsonObject(item)) continue;
      let id: string;
      try {
        id = computeEventId(item, version);
      } catch {
        continue;
      }
      const event = accepted.get(id)?.event;
      if (event?.state_key !== undefined) state.set(stateKey(event.type, event.state_key), id);
    }
    const createId = state.get(stateKey("m.room.create", ""));
    if (createId === undefined || (version.roomIdFromCreateEvent && createId !== createEventIdFromRoomId(roomId))) {
      throw new MatrixError(502, "M_UNKNOWN", "The room's state from its server has no valid create event");
    }
    return state;
  }
}
