/**
 * Inviting a user of another server to a room here (server-server API "Inviting to a room"): the
 * invite is built on the room's head, sent to the invitee's server with the room's stripped state and
 * version (`PUT /v2/invite`, or v1 for rooms of version 1 or 2 when the server does not know v2), and
 * persisted only as that server returns it, with its signature. The room's other servers then get it
 * through the outbox hook. Refusals and unreachable servers become the client's error; nothing is stored.
 */
import { MatrixError } from "../../errors.js";
import type { Pdu } from "../../protocol/event.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { referenceHashInput } from "../../protocol/hashes.js";
import { isJsonObject, type JsonObject, type JsonValue } from "../../protocol/json.js";
import { verifyBytes } from "../../protocol/signing.js";
import type { EventStore } from "../../storage/event-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { EventPersister, PersistedEvent } from "../rooms/event-persister.js";
import type { Draft, EventSender } from "../rooms/event-sender.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { EventChecker, VerifyKeySource } from "./event-checks.js";
import { FederationError } from "./federation-client.js";
import { strippedStatePdus } from "./stripped-state.js";

/** How long the invitee's server may take to answer; the room waits for it (see `invite`). */
const INVITE_TIMEOUT_MS = 30_000;

/** What inviting needs of the federation client. */
export interface InviteRequester {
  request(destination: string, method: "PUT", path: string, options: { body: JsonObject; timeoutMs?: number }): Promise<JsonValue>;
}

export class RemoteInviter {
  constructor(
    private readonly client: InviteRequester,
    private readonly checker: EventChecker,
    private readonly keys: VerifyKeySource,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly sender: EventSender,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
  ) {}

  /**
   * Builds, has co-signed and persists the invite. Runs under the room's linearizer for the whole
   * exchange: the event's prev_events and state must still be the room's when it is persisted, and an
   * invite waiting for a remote answer is rare and bounded by the timeout.
   */
  async invite(roomId: string, draft: Draft, check: (head: RoomHead) => Promise<void>): Promise<PersistedEvent> {
    return this.linearizer.run(roomId, async () => {
      const head = await this.cache.head(roomId);
      await check(head);
      const built = await this.sender.build(head, draft, new Map());
      const destination = domainOfId(draft.stateKey as string);
      const stripped = await strippedStatePdus(this.events, head, draft.sender);
      const returned = await this.exchange(destination, head, built.eventId, built.pdu as unknown as JsonObject, stripped);
      const checked = await this.checker.check(returned, head.version);
      if (!checked.ok || !checked.contentHashValid || checked.event.event_id !== built.eventId) {
        throw new MatrixError(502, "M_UNKNOWN", "The invited user's server returned another event");
      }
      if (!(await this.signedBy(checked.pdu, destination, head))) throw new MatrixError(502, "M_UNKNOWN", "The invited user's server did not sign the invite");
      return this.persister.persist({ head, pdu: checked.pdu, event: checked.event, stateBefore: head.state, snapshotBefore: head.snapshot });
    });
  }

  private async exchange(destination: string, head: RoomHead, eventId: string, pdu: JsonObject, stripped: JsonObject[]): Promise<JsonValue | undefined> {
    const path = (v: string) => `/_matrix/federation/${v}/invite/${encodeURIComponent(head.room.roomId)}/${encodeURIComponent(eventId)}`;
    try {
      const answer = await this.client.request(destination, "PUT", path("v2"), { body: { room_version: head.version.id, event: pdu, invite_room_state: stripped }, timeoutMs: INVITE_TIMEOUT_MS });
      return isJsonObject(answer) ? answer["event"] : undefined;
    } catch (error) {
      // The spec: a 400 or 404 from v2 may mean an older server; v1 only carries rooms of version 1 or 2.
      const older = error instanceof FederationError && (error.status === 400 || error.status === 404) && error.errcode !== "M_INCOMPATIBLE_ROOM_VERSION" && error.errcode !== "M_NOT_FOUND";
      if (older && (head.version.id === "1" || head.version.id === "2")) {
        try {
          const answer = await this.client.request(destination, "PUT", path("v1"), { body: { ...pdu, unsigned: { invite_room_state: stripped } }, timeoutMs: INVITE_TIMEOUT_MS });
          const body = Array.isArray(answer) ? answer[1] : undefined;
          return isJsonObject(body) ? body["event"] : undefined;
        } catch (v1Error) {
          throw clientError(v1Error);
        }
      }
      throw clientError(error);
    }
  }

  /** Whether `server` signed the event with a key we can fetch and that verifies. */
  private async signedBy(pdu: Pdu, server: string, head: RoomHead): Promise<boolean> {
    const signatures = isJsonObject(pdu.signatures) ? pdu.signatures[server] : undefined;
    if (!isJsonObject(signatures)) return false;
    const bytes = referenceHashInput(pdu, head.version);
    const at = head.version.enforceKeyValidity ? Number(pdu.origin_server_ts) : 0;
    for (const [keyId, signature] of Object.entries(signatures)) {
      if (!keyId.startsWith("ed25519:") || typeof signature !== "string") continue;
      const key = await this.keys.verifyKey(server, keyId, at).catch(() => undefined);
      if (key && verifyBytes(bytes, signature, key)) return true;
    }
    return false;
  }
}

/** The client's error for a refusal or failure of the invitee's server; its own text is never passed on. */
function clientError(error: unknown): MatrixError {
  if (error instanceof MatrixError) return error;
  if (error instanceof FederationError) {
    if (error.status === 403) return new MatrixError(403, "M_FORBIDDEN", "The invited user's server refused the invite");
    if (error.errcode === "M_INCOMPATIBLE_ROOM_VERSION") return new MatrixError(400, "M_INCOMPATIBLE_ROOM_VERSION", "The invited user's server does not support this room's version");
    if (error.status === 404) return new MatrixError(404, "M_NOT_FOUND", "The invited user's server does not know the user");
  }
  return new MatrixError(502, "M_UNKNOWN", "Could not reach the invited user's server");
}
