/**
 * `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}` and `PUT /_matrix/federation/v1/
 * send_knock/{roomId}/{eventId}` (server-server API "Leaving Rooms", "Knocking upon a room"): a signed
 * leave or knock of a user of the sending server. As for send_join, it must be well formed, carry the
 * path's event ID, be signed with a matching content hash and pass the auth rules against its auth
 * events, the state before it and the room's current state; it is persisted under the room's
 * linearizer and sent on to the room's other servers. A knock is answered with the room's stripped state.
 */
import { MatrixError } from "../../errors.js";
import type { Pdu, RoomEvent } from "../../protocol/event.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import type { EventStore } from "../../storage/event-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { EventChecker } from "./event-checks.js";
import { authByAuthEvents, authByState, authEventIdsNeeded, stateIdsNeeded, storedLookup } from "./event-checks-auth.js";
import type { StateBeforeResolver } from "./inbound-pdu-state.js";
import { resolveWithFork, stateAfter } from "./fork-resolution.js";
import type { OutboundPdus } from "./outbound-pdu.js";
import { strippedStatePdus } from "./stripped-state.js";

type Membership = "leave" | "knock";

export class SendMembershipService {
  constructor(
    private readonly checker: EventChecker,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly resolver: StateBeforeResolver,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
    private readonly outbound: OutboundPdus,
  ) {}

  /** Checks and persists a remote leave; the v2 answer is an empty object. */
  async sendLeave(origin: string, roomId: string, eventId: string, body: unknown): Promise<Record<string, never>> {
    await this.receive(origin, roomId, eventId, body, "leave");
    return {};
  }

  /** Checks and persists a remote knock; answers the room's stripped state for the knocker. */
  async sendKnock(origin: string, roomId: string, eventId: string, body: unknown): Promise<{ knock_room_state: JsonObject[] }> {
    await this.receive(origin, roomId, eventId, body, "knock");
    return { knock_room_state: await strippedStatePdus(this.events, await this.cache.head(roomId)) };
  }

  private async receive(origin: string, roomId: string, eventId: string, body: unknown, membership: Membership): Promise<void> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const checked = await this.checker.check(body, head.version);
    if (!checked.ok) throw checked.badFormat ? new MatrixError(400, "M_INVALID_PARAM", checked.reason) : new MatrixError(403, "M_FORBIDDEN", checked.reason);
    if (!checked.contentHashValid) throw new MatrixError(400, "M_INVALID_PARAM", "The event's content hash does not match");
    const { pdu, event } = checked;
    if (event.event_id !== eventId) throw new MatrixError(400, "M_INVALID_PARAM", "The event ID does not match the path");
    if (event.room_id !== roomId) throw new MatrixError(400, "M_INVALID_PARAM", "The event is for another room");
    if (event.type !== "m.room.member" || event.content["membership"] !== membership) throw new MatrixError(400, "M_INVALID_PARAM", `Not a ${membership} event`);
    if (event.state_key !== event.sender) throw new MatrixError(400, "M_INVALID_PARAM", "The state_key is not the sender");
    if (domainOfId(event.sender) !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The user is not on the server sending the event");
    await this.linearizer.run(roomId, () => this.persist(pdu, event));
  }

  /** Runs under the room's linearizer. */
  private async persist(pdu: Pdu, event: RoomEvent): Promise<void> {
    if (await this.events.getById(event.event_id)) return; // a retry: already accepted
    const head = await this.cache.head(event.room_id);
    const before = await this.resolver.stateBefore(head, event);
    if (!before.ok) throw new MatrixError(400, "M_INVALID_PARAM", "The event's prev_events are unknown");
    const { version } = head;
    const lookup = await storedLookup(this.events, version, [
      ...authEventIdsNeeded(version, event),
      ...stateIdsNeeded(version, event, before.state),
      ...stateIdsNeeded(version, event, head.state),
    ]);
    const refusal = authByAuthEvents(version, event, lookup) ?? authByState(version, event, before.state, lookup) ?? authByState(version, event, head.state, lookup);
    if (refusal !== undefined) throw new MatrixError(403, "M_FORBIDDEN", refusal);
    // The sending server is not in the room's graph: we announce its event to everyone else.
    this.outbound.relay(event.event_id);
    try {
      // An event made on an older fork (its prev_events are not our extremities) merges by state resolution.
      const currentState = before.state === head.state ? undefined : await resolveWithFork(this.events, version, head.state, stateAfter(before.state, event), event);
      await this.persister.persist({ head, pdu, event, stateBefore: before.state, snapshotBefore: before.snapshot, ...(currentState ? { currentState } : {}) });
    } finally {
      this.outbound.forget(event.event_id);
    }
  }
}
