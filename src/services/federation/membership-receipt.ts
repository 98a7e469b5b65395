/**
 * What send_join, send_leave and send_knock share (server-server API "Joining Rooms", "Leaving
 * Rooms", "Knocking upon a room"): the signed member event of a user of the sending server must be
 * well formed, carry the path's event ID and room, be signed with a matching content hash, have the
 * expected membership with state_key = sender, and pass the auth rules against its auth events, the
 * state before it and the room's current state. It is persisted under the room's linearizer (an
 * event on an older fork merges by state resolution) and announced to the room's other servers,
 * which do not know the sending server yet.
 */
import { MatrixError } from "../../errors.js";
import type { Pdu, RoomEvent, StateKey } from "../../protocol/event.js";
import { addEventSignature } from "../../protocol/event-signing.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { isJsonObject } from "../../protocol/json.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { EventStore } from "../../storage/event-store.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { RestrictedJoinAuthoriser } from "../rooms/restricted-join-authoriser.js";
import type { EventChecker } from "./event-checks.js";
import { authByAuthEvents, authByState, authEventIdsNeeded, stateIdsNeeded, storedLookup } from "./event-checks-auth.js";
import { resolveWithFork, stateAfter } from "./fork-resolution.js";
import type { StateBeforeResolver } from "./inbound-pdu-state.js";
import type { OutboundPdus } from "./outbound-pdu.js";

export interface ReceivedMembership {
  readonly head: RoomHead;
  readonly pdu: Pdu;
  readonly event: RoomEvent;
  /** The room's state before the event. */
  readonly stateBefore: ReadonlyMap<StateKey, string>;
}

export class MembershipReceiver {
  constructor(
    private readonly checker: EventChecker,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly resolver: StateBeforeResolver,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
    private readonly outbound: OutboundPdus,
    private readonly restricted: RestrictedJoinAuthoriser,
    private readonly signingKey: SigningKey,
    private readonly serverName: string,
  ) {}

  /** Checks and persists the member event; a retry of one already accepted is answered again. */
  async receive(origin: string, roomId: string, eventId: string, body: unknown, membership: "join" | "leave" | "knock"): Promise<ReceivedMembership> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    // A restricted join names one of our members as its authoriser: we check the joiner qualifies
    // and add our server's signature, which the auth rules require (the answer carries it back).
    const signed = membership === "join" ? await this.coSign(head, origin, body) : body;
    const checked = await this.checker.check(signed, head.version);
    if (!checked.ok) throw checked.badFormat ? new MatrixError(400, "M_BAD_JSON", checked.reason) : new MatrixError(403, "M_FORBIDDEN", checked.reason);
    if (!checked.contentHashValid) throw new MatrixError(400, "M_BAD_JSON", "The event's content hash does not match");
    const { pdu, event } = checked;
    if (event.event_id !== eventId) throw new MatrixError(400, "M_BAD_JSON", "The event ID does not match the path");
    if (event.room_id !== roomId) throw new MatrixError(400, "M_BAD_JSON", "The event is for another room");
    if (event.type !== "m.room.member" || event.content["membership"] !== membership) throw new MatrixError(400, "M_BAD_JSON", `Not a ${membership} event`);
    if (event.state_key !== event.sender) throw new MatrixError(400, "M_BAD_JSON", "The state_key is not the sender");
    if (domainOfId(event.sender) !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The user is not on the server sending the event");
    const stateBefore = await this.linearizer.run(roomId, () => this.persist(pdu, event));
    return { head, pdu, event, stateBefore };
  }

  private async coSign(head: RoomHead, origin: string, body: unknown): Promise<unknown> {
    if (!isJsonObject(body) || !isJsonObject(body["content"])) return body;
    const via = body["content"]["join_authorised_via_users_server"];
    if (typeof via !== "string" || domainOfId(via) !== this.serverName) return body;
    const sender = body["sender"];
    if (typeof sender !== "string" || domainOfId(sender) !== origin) return body; // refused below
    if ((await this.restricted.authoriser(head, sender)) === undefined) return body; // no longer restricted, or already in
    return addEventSignature(body, head.version, this.serverName, this.signingKey);
  }

  /** Runs under the room's linearizer; returns the state before the event. */
  private async persist(pdu: Pdu, event: RoomEvent): Promise<ReadonlyMap<StateKey, string>> {
    const head = await this.cache.head(event.room_id);
    const before = await this.resolver.stateBefore(head, event);
    if (!before.ok) throw new MatrixError(400, "M_BAD_JSON", "The event's prev_events are unknown");
    if (await this.events.getById(event.event_id)) return before.state; // a retry: already accepted
    const { version } = head;
    const lookup = await storedLookup(this.events, version, [
      ...authEventIdsNeeded(version, event),
      ...stateIdsNeeded(version, event, before.state),
      ...stateIdsNeeded(version, event, head.state),
    ]);
    const refusal = authByAuthEvents(version, event, lookup) ?? authByState(version, event, before.state, lookup) ?? authByState(version, event, head.state, lookup);
    if (refusal !== undefined) throw new MatrixError(403, "M_FORBIDDEN", refusal);
    this.outbound.relay(event.event_id);
    try {
      const currentState = before.state === head.state ? undefined : await resolveWithFork(this.events, version, head.state, stateAfter(before.state, event), event);
      await this.persister.persist({ head, pdu, event, stateBefore: before.state, snapshotBefore: before.snapshot, ...(currentState ? { currentState } : {}) });
    } finally {
      this.outbound.forget(event.event_id);
    }
    return before.state;
  }
}
