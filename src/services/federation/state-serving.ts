/**
 * Room state other servers ask for (server-server API "Retrieving events"): the state at an event —
 * "prior to considering any state changes induced by the requested event", so the state before it —
 * as PDUs (`GET /state/{roomId}`) or IDs (`GET /state_ids/{roomId}`), with the auth chain of that
 * state; and the auth chain of one event (`GET /event_auth/{roomId}/{eventId}`). The asking server
 * must be in the room and allowed to see the event (as Synapse, which answers 403 otherwise).
 */
import { MatrixError } from "../../errors.js";
import { stateKey, type Pdu } from "../../protocol/event.js";
import { redactEvent } from "../../protocol/redaction.js";
import { createEventIdFromRoomId } from "../../protocol/room-id.js";
import type { RoomVersion } from "../../protocol/room-versions.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import type { StateStore } from "../../storage/state-store.js";
import type { RoomHead } from "../rooms/current-state.js";
import { roomEventOf } from "../rooms/room-event-view.js";
import { loadAuthClosure } from "./inbound-pdu-state.js";
import type { ServedRooms } from "./served-room.js";
import type { ServerVisibility } from "./server-visibility.js";

export class StateServing {
  constructor(
    private readonly rooms: ServedRooms,
    private readonly events: EventStore,
    private readonly states: StateStore,
    private readonly visibility: ServerVisibility,
  ) {}

  /** GET /_matrix/federation/v1/state/{roomId}?event_id=…. */
  async state(origin: string, roomId: string, eventId: string): Promise<{ pdus: Pdu[]; auth_chain: Pdu[] }> {
    const { head, stateIds } = await this.stateBefore(origin, roomId, eventId);
    const state = [...(await this.events.getByIds(stateIds)).values()];
    const chain = await this.authChain(head, state);
    return { pdus: state.map((e) => served(e, head.version)), auth_chain: chain.map((e) => served(e, head.version)) };
  }

  /** GET /_matrix/federation/v1/state_ids/{roomId}?event_id=…. */
  async stateIds(origin: string, roomId: string, eventId: string): Promise<{ pdu_ids: string[]; auth_chain_ids: string[] }> {
    const { head, stateIds } = await this.stateBefore(origin, roomId, eventId);
    const chain = await this.authChain(head, [...(await this.events.getByIds(stateIds)).values()]);
    return { pdu_ids: stateIds, auth_chain_ids: chain.map((e) => e.eventId) };
  }

  /** GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}. */
  async eventAuth(origin: string, roomId: string, eventId: string): Promise<{ auth_chain: Pdu[] }> {
    const head = await this.rooms.roomFor(origin, roomId);
    const event = await this.events.getById(eventId);
    // An outlier has a known auth chain too (a joined room's state is made of outliers).
    if (!event || event.roomNid !== head.room.roomNid || event.rejectedReason !== null) throw new MatrixError(404, "M_NOT_FOUND", "Unknown event");
    if (event.stateSnapshotNid !== null && !(await this.visibility.mayRead(origin, event))) throw forbidden();
    const chain = await this.authChain(head, [event]);
    return { auth_chain: chain.map((e) => served(e, head.version)) };
  }

  /** The IDs of the state before an event the asking server may see. */
  private async stateBefore(origin: string, roomId: string, eventId: string): Promise<{ head: RoomHead; stateIds: string[] }> {
    const head = await this.rooms.roomFor(origin, roomId);
    const event = await this.rooms.timelineEvent(head, eventId);
    if (!(await this.visibility.mayRead(origin, event))) throw forbidden();
    // The snapshot is the state after the event: for a state event, put back what it replaced.
    const state = new Map(await this.states.loadSnapshot(event.stateSnapshotNid as number));
    if (typeof event.pdu.state_key === "string") {
      const keyNid = (await this.states.stateKeyNids([stateKey(event.pdu.type, event.pdu.state_key)])).values().next().value;
      if (keyNid !== undefined) {
        if (event.prevStateEventNid === null) state.delete(keyNid);
        else state.set(keyNid, event.prevStateEventNid);
      }
    }
    const ids = await this.events.eventIdsOf([...state.values()]);
    return { head, stateIds: [...ids.values()] };
  }

  /** Every event reachable through auth_events from `events` (those themselves not included unless reachable). */
  private async authChain(head: RoomHead, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const start = events.flatMap((e) => roomEventOf(e, head.version).auth_events);
    // From v12 on the create event is not among auth_events but authorises everything (its ID is in the room ID).
    if (head.version.roomIdFromCreateEvent) start.push(createEventIdFromRoomId(head.room.roomId));
    const closure = await loadAuthClosure(this.events, head.version, start);
    return [...closure.values()].map((entry) => entry.stored);
  }
}

const forbidden = (): MatrixError => new MatrixError(403, "M_FORBIDDEN", "You may not see the state at this event");

/** An event as other servers get it: redacted when it was redacted here. */
function served(event: StoredEvent, version: RoomVersion): Pdu {
  return event.redactedByNid === null ? event.pdu : redactEvent(event.pdu, version);
}
