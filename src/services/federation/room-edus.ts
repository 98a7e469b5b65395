/**
 * EDUs about a room (typing, receipts) to the other servers with joined members, and the server ACL
 * check of such EDUs on the way in (server-server API "Server Access Control Lists": a room EDU from
 * a server the room denies is ignored). Servers the room's ACL denies get none of ours either.
 */
import type { JsonObject } from "../../protocol/json.js";
import type { Db, Executor, Tx } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import { PartialStateStore } from "../../storage/partial-state-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { ServerAclService } from "./server-acl-service.js";

export interface EduQueue {
  queueEdu(tx: Tx, destination: string, edu: { edu_type: string; content: JsonObject }): Promise<void>;
}

export class RoomEdus {
  constructor(
    private readonly db: Db,
    private readonly heads: CurrentStateCache,
    private readonly roomServers: FederatedRoomStore,
    private readonly acl: ServerAclService,
    private readonly queue: EduQueue,
    private readonly partialRooms: PartialStateStore = new PartialStateStore(),
  ) {}

  /** The other servers with joined members in the room that its ACL allows. */
  async destinations(roomId: string, executor: Executor = this.db.kysely): Promise<string[]> {
    const head = await this.heads.find(roomId);
    if (!head) return [];
    const servers = await this.roomServers.joinedServers(executor, head.room.roomNid, false);
    // With partial state we know few members: the servers in the room when we joined count too.
    if (head.room.partialState) for (const server of (await this.partialRooms.get(executor, head.room.roomNid))?.servers ?? []) servers.add(server);
    if (servers.size === 0) return [];
    return this.acl.allowedOf(head.state, servers, executor);
  }

  /** Queues `edu` for every destination of the room, in `tx` when given (else in a transaction of its own). */
  async queueToRoom(roomId: string, edu: { edu_type: string; content: JsonObject }, tx?: Tx): Promise<void> {
    const servers = await this.destinations(roomId, tx?.db);
    if (servers.length === 0) return; // a room of this server only: no transaction at all
    const queueAll = async (into: Tx): Promise<void> => {
      for (const server of servers) await this.queue.queueEdu(into, server, edu);
    };
    if (tx) await queueAll(tx);
    else await this.db.transaction(queueAll);
  }

  /** Whether an EDU from `origin` about `roomId` may be handled (false when the room's ACL denies it). */
  async accepts(origin: string, roomId: unknown): Promise<boolean> {
    return typeof roomId !== "string" || this.acl.isServerAllowed(origin, roomId);
  }
}
