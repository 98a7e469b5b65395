/**
 * Memberships across servers, wired in one place (server-server API "Inviting to a room", "Leaving
 * Rooms", "Knocking upon a room"): invites, leaves and knocks served to other servers, and for local
 * users the invites of remote users, joins of rooms they were invited to, rejections and knocks.
 */
import type { Logger } from "../../logger.js";
import type { Notifier } from "../../notifier/notifier.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import type { Db } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import { OutOfBandMembershipStore } from "../../storage/out-of-band-membership-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Clock } from "../clock.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import type { EventSender } from "../rooms/event-sender.js";
import type { MembershipService } from "../rooms/membership.js";
import type { RoomLinearizer } from "../rooms/room-linearizer.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { OutOfBandSync } from "../sync/out-of-band-sync.js";
import type { SyncContributor } from "../sync/sync-types.js";
import type { EventChecker } from "./event-checks.js";
import type { FederationClient } from "./federation-client.js";
import { InviteReceiver, type LocalUsers } from "./invite-receiver.js";
import type { KeyRing } from "./key-ring.js";
import { MakeMembershipService } from "./make-membership.js";
import { MembershipHandshake } from "./membership-handshake.js";
import { OutOfBandMemberships } from "./out-of-band-memberships.js";
import { OutOfBandPdus } from "./out-of-band-pdus.js";
import type { MembershipReceiver } from "./membership-receipt.js";
import { RemoteInviter } from "./remote-inviter.js";
import { RemoteKnocker } from "./remote-knock.js";
import { RemoteLeaver } from "./remote-leave.js";
import type { RemoteJoiner } from "./room-join.js";
import { SendMembershipService } from "./send-membership.js";

/** What the federation routes for invites, leaves and knocks call. */
export interface FederationMemberships {
  readonly invites: InviteReceiver;
  readonly make: MakeMembershipService;
  readonly send: SendMembershipService;
  /** Shows remote invites and knocks (and their ends) in /sync. */
  readonly sync: SyncContributor;
  /** Takes the PDUs of /send that rescind a remote invite or refuse a knock (rooms we are not in). */
  readonly pdus: OutOfBandPdus;
}

export interface FederationMembershipDeps {
  db: Db;
  events: EventStore;
  heads: CurrentStateCache;
  reader: RoomStateReader;
  users: LocalUsers;
  persister: EventPersister;
  sender: EventSender;
  linearizer: RoomLinearizer;
  membership: MembershipService;
  keyRing: KeyRing;
  client: FederationClient;
  notifier: Notifier;
  eventStream: StreamIdGenerator;
  signingKey: SigningKey;
  clock: Clock;
  log: Logger;
  serverName: string;
  /** Shared with the rest of room federation (wireFederationRooms). */
  checker: EventChecker;
  receiver: MembershipReceiver;
  roomServers: FederatedRoomStore;
  joiner: RemoteJoiner;
}

export function wireFederationMemberships(d: FederationMembershipDeps): FederationMemberships {
  const store = new OutOfBandMembershipStore(d.db);
  const outOfBand = new OutOfBandMemberships(d.db, store, d.eventStream, d.notifier);
  const handshake = new MembershipHandshake(d.client, d.signingKey, d.clock, d.serverName);
  const leaver = new RemoteLeaver(handshake, outOfBand, d.signingKey, d.clock, d.log, d.serverName);
  const knocker = new RemoteKnocker(handshake, outOfBand, d.log, d.serverName);
  const inviter = new RemoteInviter(d.client, d.checker, d.keyRing, d.heads, d.events, d.sender, d.persister, d.linearizer);

  d.membership.setRemoteJoin(async (roomId, userId, servers, content) => {
    // Accepting an invite: the inviter's server knows the room best, then the others we were told of.
    const known = await outOfBand.get(userId, roomId);
    const inviter = known?.membership === "invite" ? [domainOfId(String(known.event["sender"]))] : [];
    await d.joiner.join(roomId, userId, [...inviter, ...servers, ...(known?.servers ?? [])], content);
    // The room's own state now holds the membership.
    if (known) await outOfBand.remove(userId, roomId);
  });
  d.membership.setRemoteMemberships({
    invite: (roomId, draft, check) => inviter.invite(roomId, draft, check),
    leave: (roomId, userId, reason) => leaver.leave(roomId, userId, reason),
    knock: (roomId, userId, servers, content) => knocker.knock(roomId, userId, servers, content),
    leaveAll: async (userId) => {
      for (const pending of await store.ofUser(userId)) {
        if (pending.membership !== "leave") await leaver.leave(pending.roomId, userId, undefined).catch(() => undefined);
      }
    },
  });

  return {
    invites: new InviteReceiver(d.db, d.checker, d.heads, d.reader, d.roomServers, d.users, outOfBand, d.signingKey, d.serverName),
    make: new MakeMembershipService(d.heads, d.sender),
    send: new SendMembershipService(d.receiver, d.heads, d.events),
    sync: new OutOfBandSync(store),
    pdus: new OutOfBandPdus(d.heads, d.checker, outOfBand, d.log, d.serverName),
  };
}
