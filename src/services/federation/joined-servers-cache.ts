/**
 * Which other servers have joined members in a room, cached per room for the outbound hook: without
 * it every event we send costs a query over the room's memberships. An entry is dropped whenever a
 * persisted event may change which other servers' users are joined (their member events, or a fork
 * merged by state resolution), and kept only once the transaction that read it commits; rooms with
 * partial state are not cached (their members arrive outside the persister).
 */
import type { Executor } from "../../storage/db.js";
import type { FederatedRoomStore } from "../../storage/federated-room-store.js";
import type { PartialStateStore } from "../../storage/partial-state-store.js";
import type { PersistContext } from "../rooms/event-persister.js";
import { lruCache } from "../../lru.js";

export class JoinedServersCache {
  private readonly byRoom = lruCache<number, ReadonlySet<string>>(10_000);

  constructor(
    private readonly store: FederatedRoomStore,
    private readonly serverName: string,
    private readonly partialRooms?: PartialStateStore,
  ) {}

  /**
   * The remote servers joined to the room of `context`'s event, as of after the event. While a room's
   * state is partial we know few of its members: the servers that were in it when we joined count too.
   */
  async remoteServers(context: PersistContext): Promise<Set<string>> {
    const servers = await this.fromMembers(context);
    if (context.head.room.partialState && this.partialRooms) {
      const partial = await this.partialRooms.get(context.tx.db, context.head.room.roomNid);
      for (const server of partial?.servers ?? []) servers.add(server);
    }
    return servers;
  }

  private async fromMembers(context: PersistContext): Promise<Set<string>> {
    const roomNid = context.head.room.roomNid;
    if (this.changesRemoteMembers(context)) {
      this.byRoom.delete(roomNid);
      return this.store.joinedServers(context.tx.db, roomNid, false);
    }
    const cached = this.byRoom.get(roomNid);
    if (cached) return new Set(cached);
    const servers = await this.store.joinedServers(context.tx.db, roomNid, false);
    // While the state is partial the members arrive outside the persister: nothing is kept until then.
    // Kept once the transaction commits: it may have written the memberships read (a join over federation).
    if (!context.head.room.partialState) context.afterCommit(() => this.byRoom.set(roomNid, new Set(servers)));
    return servers;
  }

  /** Every persisted event passes here (not only ours), so remote membership changes drop the entry too. */
  observe(context: PersistContext): void {
    if (this.changesRemoteMembers(context)) this.byRoom.delete(context.head.room.roomNid);
  }

  /** For memberships written outside the persister (a room joined over federation). */
  forget(roomNid: number): void {
    this.byRoom.delete(roomNid);
  }

  /** The joined servers without the cache (readers outside a persist). */
  read(executor: Executor, roomNid: number): Promise<Set<string>> {
    return this.store.joinedServers(executor, roomNid, false);
  }

  /** Only other servers' members count here: our own users joining or leaving change nothing. */
  private changesRemoteMembers(context: PersistContext): boolean {
    if (context.currentStateResolved === true) return true;
    const { event } = context;
    return event.type === "m.room.member" && typeof event.state_key === "string" && !event.state_key.endsWith(`:${this.serverName}`);
  }
}
