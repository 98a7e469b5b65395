/**
 * The server ACL of each room (server-server API "Server Access Control Lists"): read from the room's
 * current state and asked by every federation endpoint about a room, by /send for each PDU and
 * room EDU, and by the outbox before queueing. Parsed ACLs are cached by the event ID of the
 * `m.room.server_acl` event: the current-state cache names the event in force, so a new ACL event is
 * picked up as soon as it becomes current state, without any invalidation of our own.
 */
import { MatrixError } from "../../errors.js";
import { stateKey, type StateKey } from "../../protocol/event.js";
import { parseServerAcl, serverAllowedByAcl, type ServerAcl } from "../../protocol/server-acl.js";
import type { Executor } from "../../storage/db.js";
import type { EventStore } from "../../storage/event-store.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import { lruCache } from "../../lru.js";

const ACL_KEY = stateKey("m.room.server_acl", "");

export class ServerAclService {
  private readonly parsed = lruCache<string, ServerAcl>(2_000);

  constructor(
    private readonly heads: CurrentStateCache,
    private readonly events: EventStore,
    private readonly serverName: string,
  ) {}

  /** Whether `server` may take part in the room now; true for our own server, rooms without an ACL and unknown rooms. */
  async isServerAllowed(server: string, roomId: string): Promise<boolean> {
    if (server === this.serverName) return true;
    const head = await this.heads.find(roomId);
    if (!head) return true; // nothing to protect; the endpoint answers 404 by itself
    const acl = await this.aclOfState(head.state);
    return acl === undefined || serverAllowedByAcl(acl, server);
  }

  /** 403 M_FORBIDDEN when the room's ACL denies `origin` (for every federation endpoint about a room). */
  async assertServerAllowed(origin: string, roomId: string): Promise<void> {
    if (!(await this.isServerAllowed(origin, roomId))) throw new MatrixError(403, "M_FORBIDDEN", "Server is banned from this room by its server ACL");
  }

  /** The servers of `servers` that the ACL of `state` allows (all of them without an ACL). */
  async allowedOf(state: ReadonlyMap<StateKey, string>, servers: Iterable<string>, executor?: Executor): Promise<string[]> {
    const acl = await this.aclOfState(state, executor);
    return [...servers].filter((server) => server === this.serverName || acl === undefined || serverAllowedByAcl(acl, server));
  }

  /** The ACL in a state map, undefined when the state has none (or its event cannot be read). */
  async aclOfState(state: ReadonlyMap<StateKey, string>, executor?: Executor): Promise<ServerAcl | undefined> {
    const eventId = state.get(ACL_KEY);
    if (eventId === undefined) return undefined;
    const cached = this.parsed.get(eventId);
    if (cached) return cached;
    const event = await this.events.getById(eventId, executor);
    if (!event) return undefined;
    const acl = parseServerAcl(event.pdu.content);
    this.parsed.set(eventId, acl);
    return acl;
  }
}
