/**
 * Room events to other servers (ARCHITECTURE.md "One sent message", step 4): a persist hook that, for
 * each event this server originates in a room shared with other servers, queues the PDU in the
 * outbox of every other server with joined members (and of the target of a membership change, who
 * may just have left), in the event's own transaction. Events received from other servers are not
 * sent on (their origin sends them to everyone), except joins accepted through send_join, which the
 * resident server announces to the rest of the room.
 */
import type { JsonObject } from "../../protocol/json.js";
import { withoutUnsigned } from "../../protocol/event.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { Tx } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { PartialStateStore } from "../../storage/partial-state-store.js";
import type { PersistContext, PersistHook } from "../rooms/event-persister.js";
import { JoinedServersCache } from "./joined-servers-cache.js";

export interface PduQueue {
  queuePdu(tx: Tx, destination: string, pdu: JsonObject): Promise<void>;
}

export class OutboundPdus {
  /** Events from other servers that we announce anyway (joins through send_join), by event ID. */
  private readonly relayed = new Set<string>();

  private readonly servers: JoinedServersCache;

  constructor(
    store: FederatedRoomStore,
    private readonly queue: PduQueue,
    private readonly serverName: string,
    partialRooms?: PartialStateStore,
  ) {
    this.servers = new JoinedServersCache(store, serverName, partialRooms);
  }

  /** The next persist of this event sends it to the room's other servers though its sender is remote. */
  relay(eventId: string): void {
    this.relayed.add(eventId);
  }

  forget(eventId: string): void {
    this.relayed.delete(eventId);
  }

  hook(): PersistHook {
    return (context) => this.queueFor(context);
  }

  private async queueFor(context: PersistContext): Promise<void> {
    const { event } = context;
    const senderServer = domainOfId(event.sender);
    const relayed = this.relayed.has(event.event_id);
    if (senderServer !== this.serverName && !relayed) {
      this.servers.observe(context);
      return;
    }
    const destinations = await this.servers.remoteServers(context);
    if (event.type === "m.room.member" && typeof event.state_key === "string") destinations.add(domainOfId(event.state_key));
    destinations.delete(this.serverName);
    // A relayed join is already known to the server that made it.
    if (relayed) destinations.delete(senderServer);
    if (destinations.size === 0) return;
    // Servers the room's ACL denies still get the room's events while they have members in it (the
    // spec: "servers should still send events to denied servers if they are still residents"); what
    // they send and ask about the room is refused.
    const pdu = withoutUnsigned(context.pdu) as unknown as JsonObject;
    for (const destination of destinations) await this.queue.queuePdu(context.tx, destination, pdu);
  }
}
