/**
 * `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}` (server-server API "Joining Rooms"): a
 * signed join from the server of the joining user. It must be a well-formed join of a user of that
 * server with the ID of the path, signed and with a matching content hash, and pass the auth rules
 * against its auth events, the state before it and the room's current state. It is persisted under
 * the room's linearizer and announced to the room's other servers; the answer is the state before it
 * with its auth chain.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId } from "../../protocol/identifiers.js";
import { splitStateKey, stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { Db } from "../../storage/db.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { EventChecker } from "./event-checks.js";
import { authByAuthEvents, authByState, authEventIdsNeeded, stateIdsNeeded, storedLookup } from "./event-checks-auth.js";
import { loadAuthClosure, type StateBeforeResolver } from "./inbound-pdu-state.js";
import type { OutboundPdus } from "./outbound-pdu.js";
import { resolveWithFork, stateAfter } from "./fork-resolution.js";

export interface SendJoinResponse {
  origin: string;
  members_omitted: boolean;
  servers_in_room: string[];
  state: Pdu[];
  auth_chain: Pdu[];
  event: Pdu;
}

export class SendJoinService {
  constructor(
    private readonly db: Db,
    private readonly checker: EventChecker,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly resolver: StateBeforeResolver,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
    private readonly outbound: OutboundPdus,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly serverName: string,
  ) {}

  /** Checks and persists a remote join; answers the state before it and its auth chain. */
  async sendJoin(origin: string, roomId: string, eventId: string, body: unknown, omitMembers = false): Promise<SendJoinResponse> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const checked = await this.checker.check(body, head.version);
    if (!checked.ok) throw checked.badFormat ? new MatrixError(400, "M_BAD_JSON", checked.reason) : new MatrixError(403, "M_FORBIDDEN", checked.reason);
    if (!checked.contentHashValid) throw new MatrixError(400, "M_BAD_JSON", "The event's content hash does not match");
    const { pdu, event } = checked;
    if (event.event_id !== eventId) throw new MatrixError(400, "M_BAD_JSON", "The event ID does not match the path");
    if (event.room_id !== roomId) throw new MatrixError(400, "M_BAD_JSON", "The event is for another room");
    if (event.type !== "m.room.member" || event.content["membership"] !== "join") throw new MatrixError(400, "M_BAD_JSON", "Not a join event");
    if (event.state_key !== event.sender) throw new MatrixError(400, "M_BAD_JSON", "The state_key is not the sender");
    if (domainOfId(event.sender) !== origin) throw new MatrixError(403, "M_FORBIDDEN", "The joining user is not on the server sending the join");

    // servers_in_room: the servers with joined members before this join (the spec's words).
    const serversBefore = await this.federatedRooms.joinedServers(this.db.kysely, head.room.roomNid);
    const stateBefore = await this.linearizer.run(roomId, () => this.persist(pdu, event));
    if (!omitMembers) return this.response(roomId, stateBefore, pdu, event, false, serversBefore);
    const heroes = await this.federatedRooms.heroes(this.db.kysely, head.room.roomNid, event.sender, HEROES);
    return this.response(roomId, withoutMembers(stateBefore, heroes), pdu, event, true, serversBefore);
  }

  /** Runs under the room's linearizer; returns the state before the join. */
  private async persist(pdu: Pdu, event: RoomEvent): Promise<ReadonlyMap<string, string>> {
    const head = await this.cache.head(event.room_id);
    const before = await this.resolver.stateBefore(head, event);
    if (!before.ok) throw new MatrixError(400, "M_BAD_JSON", "The join's prev_events are unknown");
    if (await this.events.getById(event.event_id)) return before.state; // a retry: already joined
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
      // A join made on an older fork (its prev_events are not our extremities) merges by state resolution.
      const currentState = before.state === head.state ? undefined : await resolveWithFork(this.events, version, head.state, stateAfter(before.state, event), event);
      await this.persister.persist({ head, pdu, event, stateBefore: before.state, snapshotBefore: before.snapshot, ...(currentState ? { currentState } : {}) });
    } finally {
      this.outbound.forget(event.event_id);
    }
    return before.state;
  }

  private async response(roomId: string, state: ReadonlyMap<string, string>, pdu: Pdu, event: RoomEvent, membersOmitted: boolean, servers: ReadonlySet<string>): Promise<SendJoinResponse> {
    const head = await this.cache.head(roomId);
    const stateIds = new Set(state.values());
    const closure = await loadAuthClosure(this.events, head.version, [...stateIds, ...event.auth_events]);
    const stateEvents: Pdu[] = [];
    const authChain: Pdu[] = [];
    // The spec lets events of `state` be left out of `auth_chain`.
    for (const [id, { stored }] of closure) (stateIds.has(id) ? stateEvents : authChain).push(stored.pdu);
    return { origin: this.serverName, members_omitted: membersOmitted, servers_in_room: [...servers], state: stateEvents, auth_chain: authChain, event: pdu };
  }
}

/** How many members' events a reduced answer keeps for the joining server's room summary. */
const HEROES = 5;

/**
 * The state of a reduced send_join answer (`omit_members`, MSC3706): no member events, except, when
 * the room has neither a name nor a canonical alias, those of the members a client would name it
 * after (the room summary's heroes: the spec asks for them so that the joining server can show the
 * room before it has every member). Heroes are the first joined or invited members by user ID (the
 * spec orders them by stream position, which another server's events do not share).
 */
export function withoutMembers(state: ReadonlyMap<StateKey, string>, heroes: readonly string[]): Map<StateKey, string> {
  const out = new Map<StateKey, string>();
  for (const [key, id] of state) if (splitStateKey(key)[0] !== "m.room.member") out.set(key, id);
  const named = state.has(stateKey("m.room.name", "")) || state.has(stateKey("m.room.canonical_alias", ""));
  if (named) return out;
  for (const hero of heroes) {
    const id = state.get(stateKey("m.room.member", hero));
    if (id !== undefined) out.set(stateKey("m.room.member", hero), id);
  }
  return out;
}
