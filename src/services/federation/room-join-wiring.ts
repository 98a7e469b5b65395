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
import type { EventPersister, PersistHook } from "../rooms/event-persister.js";
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
import { MembershipReceiver } from "./membership-receipt.js";
import { RemoteStateBefore } from "./remote-state-before.js";
import { RestrictedJoinAuthoriser } from "../rooms/restricted-join-authoriser.js";
import { PartialStateStore } from "../../storage/partial-state-store.js";
import { PartialStateCompleter } from "./partial-state.js";
import { wireFederationMemberships, type FederationMemberships } from "./membership-wiring.js";
import type { LocalUsers } from "./invite-receiver.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { partitionByServerAcl } from "./server-acl-pdus.js";
import { ServerAclService } from "./server-acl-service.js";
import type { TransactionReceiver } from "./transaction-receiver.js";
import { BackfillStore } from "../../storage/backfill-store.js";
import { RoomLookupStore } from "../../storage/room-lookup-store.js";
import { BackfillPersister } from "./backfill-persist.js";
import { Backfiller } from "./backfiller.js";
import { HistoryServing } from "./history-serving.js";
import { OutlierFetcher } from "./outlier-fetcher.js";
import { RemoteHistory } from "./remote-history.js";
import { RemoteTimestampLookup } from "./remote-timestamp.js";
import { ServedRooms } from "./served-room.js";
import { ServerVisibility } from "./server-visibility.js";
import { StateServing } from "./state-serving.js";

/** What the federation routes for rooms call. */
export interface FederationRooms {
  readonly makeJoin: MakeJoinService;
  readonly sendJoin: SendJoinService;
  readonly events: EventServing;
  /** Invites, leaves and knocks with other servers (membership-wiring.ts). */
  readonly memberships: FederationMemberships;
  /** Room history and past state for other servers (backfill, state, auth chains, timestamps). */
  readonly history: HistoryServing;
  readonly state: StateServing;
  /** Fetches history from other servers when local clients page back past what we hold. */
  readonly backfiller: Backfiller;
  /** Asks other servers for jump to date where our history has gaps. */
  readonly remoteTimestamps: RemoteTimestampLookup;
  /** Server ACLs: every federation endpoint about a room calls `assertServerAllowed(origin, roomId)`. */
  readonly acl: ServerAclService;
  /** Work for each backfilled event (the search index), as persist hooks are for new ones. */
  addBackfillHook(hook: PersistHook): void;
  /** Rooms joined with partial state, completed in the background (resumed at start). */
  readonly partialState: PartialStateCompleter;
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
  reader: RoomStateReader;
  users: LocalUsers;
  notifier: Notifier;
  keyRing: KeyRing;
  client: FederationClient;
  federationSender: FederationSender;
  transactions: TransactionReceiver;
  eventStream: StreamIdGenerator;
  signingKey: SigningKey;
  clock: Clock;
  log: Logger;
  serverName: string;
  /** config federation.partial_state_joins */
  partialStateJoins: boolean;
}

export function wireFederationRooms(d: FederationRoomDeps): FederationRooms {
  const store = new FederatedRoomStore(d.events, d.states);
  const checker = new EventChecker(d.keyRing);
  const resolver = new StateBeforeResolver(d.events, d.states);
  const acl = new ServerAclService(d.heads, d.events, d.serverName);
  const partialRooms = new PartialStateStore();
  const outbound = new OutboundPdus(store, d.federationSender, d.serverName, partialRooms);
  d.persister.addHook(outbound.hook());

  // Auth events we lack and the state after gaps are fetched from the sending server (made below).
  const inbound = new InboundPdus(checker, d.heads, d.events, resolver, d.persister, d.linearizer, d.client, d.log, {
    ensure: (...args) => outliers.ensure(...args),
    stateBefore: (...args) => remoteState.stateBefore(...args),
  });
  d.transactions.setPduHandler(async (origin, pdus) => {
    const { allowed, refused } = await partitionByServerAcl(acl, d.heads, origin, pdus);
    // Rooms we are not in are ignored by `inbound`; a rescinded remote invite or refused knock is not.
    const outOfBand = await memberships.pdus.receive(origin, allowed);
    return { ...refused, ...outOfBand, ...(await inbound.receive(origin, allowed)) };
  });

  const joinPersister = new RoomJoinPersister(d.db, d.rooms, store, d.persister, d.heads, d.linearizer, d.eventStream, d.clock, d.serverName, partialRooms);
  const partialState = new PartialStateCompleter(d.db, d.rooms, partialRooms, d.events, d.states, store, d.heads, d.linearizer, d.eventStream, d.notifier, d.client, checker, d.clock, d.log, d.serverName);
  const joiner = new RemoteJoiner(d.client, checker, joinPersister, d.signingKey, d.clock, d.log, d.serverName, { enabled: d.partialStateJoins, joined: (roomId) => partialState.start(roomId) });
  // Sets the membership service's remote join (through the inviter's server first) and its invites, leaves and knocks.
  // send_join, send_leave and send_knock check and persist the other server's member event alike.
  const restricted = new RestrictedJoinAuthoriser(d.reader, d.rooms);
  const receiver = new MembershipReceiver(checker, d.heads, d.events, resolver, d.persister, d.linearizer, outbound, restricted, d.signingKey, d.serverName);
  const memberships = wireFederationMemberships({ ...d, checker, receiver, roomServers: store, joiner });

  const served = new ServedRooms(d.db, d.heads, d.events, store);
  const serverVisibility = new ServerVisibility(d.events, d.states);
  const remoteHistory = new RemoteHistory(d.client, checker, d.log);
  const outliers = new OutlierFetcher(d.db, d.events, store, remoteHistory, d.clock, d.log);
  const backfillStore = new BackfillStore();
  const remoteState = new RemoteStateBefore(remoteHistory, outliers, d.events, d.log);
  const backfillPersister = new BackfillPersister(d.db, d.events, d.states, backfillStore, resolver, outliers, remoteState, d.clock, d.log);

  return {
    makeJoin: new MakeJoinService(d.heads, d.sender, restricted),
    sendJoin: new SendJoinService(d.db, receiver, d.heads, d.events, store, d.serverName),
    memberships,
    events: new EventServing(d.db, d.heads, d.events, d.rooms, store, d.clock, d.serverName),
    history: new HistoryServing(served, d.events, new RoomLookupStore(d.db), serverVisibility, d.clock, d.serverName),
    state: new StateServing(served, d.events, d.states, serverVisibility),
    backfiller: new Backfiller(d.db, d.heads, store, backfillStore, remoteHistory, backfillPersister, d.log, (server) => d.federationSender.isBackingOff(server)),
    remoteTimestamps: new RemoteTimestampLookup(d.db, d.heads, d.events, store, backfillStore, d.client, remoteHistory, backfillPersister, d.log),
    acl,
    partialState,
    addBackfillHook: (hook) => backfillPersister.addHook(hook),
  };
}
