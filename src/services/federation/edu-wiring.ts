/**
 * The EDUs of rooms and users between servers, wired in one place: typing (m.typing) and read
 * receipts (m.receipt) to and from the room's other servers with the room's server ACL applied both
 * ways, and presence (m.presence) to and from servers that share a room with the user, unless
 * `presence.federation` is off.
 */
import type { Logger } from "../../logger.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { PresenceStore } from "../../storage/presence-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Clock } from "../clock.js";
import { receiptEduContent, receiptsOfEdu, type RemoteReceipt } from "../ephemeral/receipt-federation.js";
import type { ReceiptService } from "../ephemeral/receipt-service.js";
import type { TypingService } from "../ephemeral/typing-service.js";
import { PresenceFederation } from "../presence/presence-federation.js";
import type { PresenceDirectory, PresenceService } from "../presence/presence-service.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { EventPersister } from "../rooms/event-persister.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { FederationSender } from "./federation-sender.js";
import { RoomEdus } from "./room-edus.js";
import type { ServerAclService } from "./server-acl-service.js";
import type { TransactionReceiver } from "./transaction-receiver.js";

export interface FederationEduDeps {
  db: Db;
  heads: CurrentStateCache;
  roomServers: FederatedRoomStore;
  acl: ServerAclService;
  federationSender: FederationSender;
  transactions: TransactionReceiver;
  typing: TypingService;
  receipts: ReceiptService;
  presence: PresenceService;
  presenceStore: PresenceStore;
  presenceDirectory: PresenceDirectory;
  presenceStream: StreamIdGenerator;
  /** Room events: a remote user's join makes us tell their server our users' presence. */
  persister: EventPersister;
  /** Our users joined to a room. */
  localMembers(roomNid: number): Promise<string[]>;
  /** presence.enabled && presence.federation */
  presenceFederation: boolean;
  notifier: Notifier;
  clock: Clock;
  serverName: string;
  log: Logger;
}

/** How long after a remote user's join its server is told our users' presence. */
const GREETING_DELAY_MS = 2_000;

/** Wires the EDUs; the answer stops their timers on shutdown. */
export function wireFederationEdus(d: FederationEduDeps): { close(): void } {
  const roomEdus = new RoomEdus(d.db, d.heads, d.roomServers, d.acl, d.federationSender);

  d.typing.setAnnouncer((roomId, userId, typing) => roomEdus.queueToRoom(roomId, { edu_type: "m.typing", content: { room_id: roomId, user_id: userId, typing } }));
  d.transactions.addEduHandler("m.typing", async (origin, content) => {
    if (await roomEdus.accepts(origin, content["room_id"])) await d.typing.receiveRemote(origin, content);
  });

  d.receipts.setAnnouncer((tx, roomId, userId, eventId, ts, threadId) =>
    roomEdus.queueToRoom(roomId, { edu_type: "m.receipt", content: receiptEduContent(roomId, userId, eventId, ts, threadId) }, tx),
  );
  d.transactions.addEduHandler("m.receipt", async (origin, content) => {
    const accepted: RemoteReceipt[] = [];
    for (const receipt of receiptsOfEdu(origin, content)) if (await roomEdus.accepts(origin, receipt.roomId)) accepted.push(receipt);
    await d.receipts.receiveRemote(accepted);
  });

  if (!d.presenceFederation) return { close: () => undefined };
  const presence = new PresenceFederation(
    d.db,
    d.presenceStore,
    d.presenceDirectory,
    { destinations: (roomId) => roomEdus.destinations(roomId), queueEdu: (tx, destination, edu) => d.federationSender.queueEdu(tx, destination, edu) },
    d.presenceStream,
    d.notifier,
    d.clock,
    d.serverName,
    d.log,
  );
  d.presence.setAnnouncer((userId, state) => presence.announce(userId, state));
  d.persister.addHook(async ({ event, head, afterCommit }) => {
    if (event.type !== "m.room.member" || event.content["membership"] !== "join" || typeof event.state_key !== "string") return;
    const server = domainOfId(event.state_key);
    if (server === d.serverName) return;
    const roomNid = head.room.roomNid;
    // A moment later: the joining server is still storing the room from our send_join answer, and
    // drops presence of users it does not yet share a room with.
    afterCommit(() => {
      setTimeout(() => {
        void d
          .localMembers(roomNid)
          .then((users) => presence.greet(server, users))
          .catch((error: unknown) => d.log.warn({ server, error: (error as Error).message }, "presence for a joining server not queued"));
      }, GREETING_DELAY_MS).unref();
    });
  });
  d.transactions.addEduHandler("m.presence", (origin, content) => presence.receive(origin, content));
  presence.start();
  return { close: () => presence.close() };
}
