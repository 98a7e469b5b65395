/**
 * `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}` (server-server API "Joining Rooms"): a
 * signed join from the server of the joining user. It must be a well-formed join of a user of that
 * server with the ID of the path, signed and with a matching content hash, and pass the auth rules
 * against its auth events, the state before it and the room's current state (membership-receipt.ts);
 * the answer is the state before it with its auth chain, without most members when asked to.
 */
import { MatrixError } from "../../errors.js";
import { splitStateKey, stateKey, type Pdu, type RoomEvent, type StateKey } from "../../protocol/event.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { Db } from "../../storage/db.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import { loadAuthClosure } from "./inbound-pdu-state.js";
import type { MembershipReceiver } from "./membership-receipt.js";

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
    private readonly receiver: MembershipReceiver,
    private readonly cache: CurrentStateCache,
    private readonly events: EventStore,
    private readonly federatedRooms: FederatedRoomStore,
    private readonly serverName: string,
  ) {}

  /** Checks and persists a remote join; answers the state before it and its auth chain. */
  async sendJoin(origin: string, roomId: string, eventId: string, body: unknown, omitMembers = false): Promise<SendJoinResponse> {
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    // servers_in_room: the servers with joined members before this join (the spec's words).
    const serversBefore = await this.federatedRooms.joinedServers(this.db.kysely, head.room.roomNid);
    const { pdu, event, stateBefore } = await this.receiver.receive(origin, roomId, eventId, body, "join");
    if (!omitMembers) return this.response(roomId, stateBefore, pdu, event, false, serversBefore);
    const heroes = await this.federatedRooms.heroes(this.db.kysely, head.room.roomNid, event.sender, HEROES);
    return this.response(roomId, withoutMembers(stateBefore, heroes), pdu, event, true, serversBefore);
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
