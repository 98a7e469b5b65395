/**
 * Rooms shared with other servers, wired in one place so that context.ts only hands over what exists:
 * joins both ways (make_join/send_join served, remote joins made for local users), room events both
 * ways (the outbox hook, inbound PDUs of /send) and the events other servers ask for.
 */
import type { Logger } from "../../logger.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { StateStore } from "../../storage/state-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { EventSender } from "../rooms/event-sender.js";
import type { MembershipService } from "../rooms/membership.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import { EventChecker } from "./event-checks.js";
import type { FederationClient } from "./federation-client.js";
import type { FederationSender } from "./federation-sender.js";
import { InboundPdus } from "./inbound-pdu.js";
import { StateBeforeResolver } from "./inbound-pdu-state.js";
import type { KeyRing } from "./key-ring.js";
import { MakeJoinService } from "./make-join.js";
import { OutboundPdus } from "./outbound-pdu.js";
import { EventServing } from "./outbound-pdu-missing.js";
import { RemoteJoiner } from "./room-join.js";
import { RoomJoinPersister } from "./room-join-persist.js";
import { SendJoinService } from "./send-join.js";
import type { TransactionReceiver } from "./transaction-receiver.js";

/** What the federation routes for rooms call. */
export interface FederationRooms {
  readonly makeJoin: MakeJoinService;
  readonly sendJoin: SendJoinService;
  readonly events: EventServing;
}

export interface FederationRoomDeps {
  db: Db;
  events: EventStore;
  states: StateStore;
  rooms: RoomStore;
  heads: CurrentStateCache;
  persister: EventPersister;
  sender: EventSender;
  linearizer: RoomLinearizer;
  membership: MembershipService;
  keyRing: KeyRing;
  client: FederationClient;
  federationSender: FederationSender;
  transactions: TransactionReceiver;
  eventStream: StreamIdGenerator;
  signingKey: SigningKey;
  clock: Clock;
  log: Logger;
  serverName: string;
}

export function wireFederationRooms(d: FederationRoomDeps): FederationRooms {
  const store = new FederatedRoomStore(d.events, d.states);
  const checker = new EventChecker(d.keyRing);
  const resolver = new StateBeforeResolver(d.events, d.states);
  const outbound = new OutboundPdus(store, d.federationSender, d.serverName);
  d.persister.addHook(outbound.hook());

  const inbound = new InboundPdus(checker, d.heads, d.events, resolver, d.persister, d.linearizer, d.client, d.log);
  d.transactions.setPduHandler((origin, pdus) => inbound.receive(origin, pdus));

  const joinPersister = new RoomJoinPersister(d.db, d.rooms, store, d.persister, d.heads, d.linearizer, d.eventStream, d.clock, d.serverName);
  const joiner = new RemoteJoiner(d.client, checker, joinPersister, d.signingKey, d.clock, d.log, d.serverName);
  d.membership.setRemoteJoin((roomId, userId, servers, content) => joiner.join(roomId, userId, servers, content));

  return {
    makeJoin: new MakeJoinService(d.heads, d.sender),
    sendJoin: new SendJoinService(d.db, checker, d.heads, d.events, resolver, d.persister, d.linearizer, outbound, store, d.serverName),
    events: new EventServing(d.db, d.heads, d.events, d.rooms, store, d.clock, d.serverName),
  };
}
