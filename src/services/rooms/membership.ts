/**
 * Membership changes on this server's rooms (client-server API "Room membership"): join (including
 * restricted joins vouched for by a local member who may invite), invite, leave (and rejecting an
 * invite), kick, ban, unban, knock, forget. Each is an m.room.member event through the event sender, so
 * the auth rules decide; this layer adds the API's own rules and better error messages.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId, isValidUserId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { CurrentStateCache, RoomHead } from "./current-state.js";
import type { PersistedEvent } from "./event-persister.js";
import type { Draft, EventSender } from "./event-sender.js";
import type { RoomStateReader } from "./room-state-reader.js";
import { RestrictedJoinAuthoriser } from "./restricted-join-authoriser.js";

export interface MembershipOptions {
  reason?: string | undefined;
  /** For invites in direct chats. */
  isDirect?: boolean;
  txn?: { userId: string; deviceId: string; txnId: string };
  /** Servers to join a room through when this server is not in it (`server_name`/`via`). */
  servers?: readonly string[];
}

/** Joins a room this server is not in, over federation (services/federation/room-join.ts). */
export type RemoteJoin = (roomId: string, userId: string, servers: readonly string[], content: JsonObject) => Promise<void>;

/**
 * Memberships that need another server (services/federation/membership-wiring.ts): inviting its users,
 * and leaving or knocking on rooms this server is not in.
 */
export interface RemoteMemberships {
  invite(roomId: string, draft: Draft, check: (head: RoomHead) => Promise<void>): Promise<PersistedEvent>;
  leave(roomId: string, userId: string, reason: string | undefined): Promise<void>;
  knock(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void>;
  /** Rejects every invite and withdraws every knock of the user in rooms this server is not in. */
  leaveAll(userId: string): Promise<void>;
}

/**
 * Turns `#alias:server` into a room ID and the servers to join it through (the directory service does
 * this, over federation for other servers' aliases); room IDs pass through with no servers.
 */
export type AliasResolver = (roomIdOrAlias: string) => Promise<{ roomId: string; servers: readonly string[] }>;

/** Runs before a user leaves a room or rejects an invite through the API; throws to refuse (server notices). */
export type LeaveCheck = (roomId: string, userId: string, currentMembership: string) => Promise<void>;

/**
 * A join or knock target must be a room ID or an alias; anything else is a bad parameter rather than
 * an unknown room (Synapse answers 400 too).
 */
function checkRoomIdOrAlias(roomIdOrAlias: string): void {
  if (!roomIdOrAlias.startsWith("!") && !roomIdOrAlias.startsWith("#")) {
    throw new MatrixError(400, "M_INVALID_PARAM", `${roomIdOrAlias} is neither a room ID nor a room alias`);
  }
}

export class MembershipService {
  private resolveAlias: AliasResolver = async (id) => ({ roomId: id, servers: [] });
  private remoteJoin: RemoteJoin | undefined;
  private remote: RemoteMemberships | undefined;
  private readonly leaveChecks: LeaveCheck[] = [];

  constructor(
    private readonly sender: EventSender,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly rooms: RoomStore,
    private readonly users: UserStore,
    private readonly serverName: string,
    private readonly restricted: RestrictedJoinAuthoriser = new RestrictedJoinAuthoriser(reader, rooms),
  ) {}

  setAliasResolver(resolver: AliasResolver): void {
    this.resolveAlias = resolver;
  }

  /** Wired by context.ts: federation is built on rooms, not the other way. */
  setRemoteJoin(remoteJoin: RemoteJoin): void {
    this.remoteJoin = remoteJoin;
  }

  /** Wired by context.ts, as setRemoteJoin. */
  setRemoteMemberships(remote: RemoteMemberships): void {
    this.remote = remote;
  }

  /** Adds a check run before API leaves (not kicks, bans or deactivation). */
  addLeaveCheck(check: LeaveCheck): void {
    this.leaveChecks.push(check);
  }

  private async memberContent(userId: string, membership: string, options: MembershipOptions, extra: JsonObject = {}): Promise<JsonObject> {
    const content: JsonObject = { membership, ...extra };
    if (membership === "join" || membership === "invite" || membership === "knock") {
      // The member's own profile travels with joins; an invite carries the invitee's, as Synapse does.
      const profile = await this.users.getProfile(userId);
      if (typeof profile["displayname"] === "string") content["displayname"] = profile["displayname"];
      if (typeof profile["avatar_url"] === "string") content["avatar_url"] = profile["avatar_url"];
    }
    if (options.reason !== undefined) content["reason"] = options.reason;
    if (options.isDirect) content["is_direct"] = true;
    return content;
  }

  private async localHead(roomId: string): Promise<RoomHead> {
    const head = await this.cache.find(roomId);
    // Rooms on other servers are joined over federation (its own issue); until then they are unknown.
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "No known servers for this room");
    return head;
  }

  /** POST /join/{roomIdOrAlias} and /rooms/{roomId}/join. */
  async join(roomIdOrAlias: string, userId: string, options: MembershipOptions = {}): Promise<{ room_id: string }> {
    checkRoomIdOrAlias(roomIdOrAlias);
    const { roomId, servers: aliasServers } = await this.resolveAlias(roomIdOrAlias);
    if (this.remoteJoin && !(await this.cache.find(roomId))) {
      // Not a room of ours: join through the servers given, those the alias's server named, then the one in the room ID, if any.
      const servers = [...(options.servers ?? []), ...aliasServers, ...(domainOfId(roomId) ? [domainOfId(roomId)] : [])];
      await this.remoteJoin(roomId, userId, servers, await this.memberContent(userId, "join", options));
      return { room_id: roomId };
    }
    await this.localHead(roomId);
    await this.sender.send(
      roomId,
      { type: "m.room.member", sender: userId, stateKey: userId, content: {} },
      {
        ...(options.txn ? { txn: options.txn } : {}),
        check: async (head) => {
          const current = await this.reader.membership(head, userId);
          if (current === "ban") throw new MatrixError(403, "M_FORBIDDEN", "You are banned from this room");
        },
        draft: async (head) => {
          const extra: JsonObject = {};
          const authoriser = await this.restricted.authoriser(head, userId);
          if (authoriser !== undefined) extra["join_authorised_via_users_server"] = authoriser;
          return { content: await this.memberContent(userId, "join", options, extra) };
        },
      },
    );
    return { room_id: roomId };
  }

  /** POST /rooms/{roomId}/invite. */
  async invite(roomId: string, sender: string, target: string, options: MembershipOptions = {}): Promise<PersistedEvent> {
    if (!isValidUserId(target, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    await this.localHead(roomId);
    if (target.endsWith(`:${this.serverName}`) && !(await this.users.exists(target))) {
      throw new MatrixError(404, "M_NOT_FOUND", "Unknown user");
    }
    const check = async (head: RoomHead): Promise<void> => {
      if ((await this.reader.membership(head, sender)) !== "join") throw new MatrixError(403, "M_FORBIDDEN", "You are not in this room");
      const current = await this.reader.membership(head, target);
      if (current === "ban") throw new MatrixError(403, "M_FORBIDDEN", `${target} is banned from the room`);
      if (current === "join") throw new MatrixError(403, "M_FORBIDDEN", `${target} is already in the room`);
    };
    // A user of another server: their server co-signs the invite before it is stored.
    if (this.remote && domainOfId(target) !== this.serverName) {
      return this.remote.invite(roomId, { type: "m.room.member", sender, stateKey: target, content: await this.memberContent(target, "invite", options) }, check);
    }
    return this.change(roomId, sender, target, "invite", options, check);
  }

  /** POST /rooms/{roomId}/leave: leaves, or rejects an invite, or withdraws a knock. */
  async leave(roomId: string, userId: string, options: MembershipOptions = {}): Promise<void> {
    const head = await this.cache.find(roomId);
    // A room known only through an invite or knock from another server is left over federation.
    if (!head && this.remote) return this.remote.leave(roomId, userId, options.reason);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const current = await this.reader.membership(head, userId);
    if (current === undefined || current === "leave" || current === "ban") {
      // Leaving a room one is not in is not an error (Synapse answers 200 too).
      if (current === undefined) throw new MatrixError(403, "M_FORBIDDEN", "You are not a member of this room");
      return;
    }
    for (const check of this.leaveChecks) await check(roomId, userId, current);
    await this.change(roomId, userId, userId, "leave", options);
  }

  async kick(roomId: string, sender: string, target: string, options: MembershipOptions = {}): Promise<void> {
    await this.change(roomId, sender, target, "leave", options, async (head) => {
      const current = await this.reader.membership(head, target);
      if (current !== "join" && current !== "invite" && current !== "knock") {
        throw new MatrixError(403, "M_FORBIDDEN", `${target} is not in the room`);
      }
    });
  }

  async ban(roomId: string, sender: string, target: string, options: MembershipOptions = {}): Promise<void> {
    await this.change(roomId, sender, target, "ban", options);
  }

  async unban(roomId: string, sender: string, target: string, options: MembershipOptions = {}): Promise<void> {
    await this.change(roomId, sender, target, "leave", options, async (head) => {
      if ((await this.reader.membership(head, target)) !== "ban") throw new MatrixError(403, "M_FORBIDDEN", `${target} is not banned`);
    });
  }

  /** POST /knock/{roomIdOrAlias}. */
  async knock(roomIdOrAlias: string, userId: string, options: MembershipOptions = {}): Promise<{ room_id: string }> {
    checkRoomIdOrAlias(roomIdOrAlias);
    const resolved = await this.resolveAlias(roomIdOrAlias);
    const roomId = resolved.roomId;
    // The servers the alias's server named come after the caller's `via`, for a knock over federation.
    options = { ...options, servers: [...(options.servers ?? []), ...resolved.servers] };
    if (this.remote && !(await this.cache.find(roomId))) {
      // Not a room of ours: knock through the servers given, then the one in the room ID, if any.
      const servers = [...(options.servers ?? []), ...(domainOfId(roomId) ? [domainOfId(roomId)] : [])];
      await this.remote.knock(roomId, userId, servers, await this.memberContent(userId, "knock", options));
      return { room_id: roomId };
    }
    const head = await this.localHead(roomId);
    if (!head.version.knocking) throw new MatrixError(403, "M_FORBIDDEN", "This room version does not support knocking");
    await this.change(roomId, userId, userId, "knock", options, async (current) => {
      const membership = await this.reader.membership(current, userId);
      if (membership === "join") throw new MatrixError(403, "M_FORBIDDEN", "You are already in the room");
      if (membership === "ban") throw new MatrixError(403, "M_FORBIDDEN", "You are banned from this room");
    });
    return { room_id: roomId };
  }

  /** POST /rooms/{roomId}/forget: only once the user has left. */
  async forget(roomId: string, userId: string): Promise<void> {
    const room = await this.rooms.get(roomId);
    if (!room) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    const membership = await this.rooms.membership(room.roomNid, userId);
    if (membership === "join" || membership === "invite" || membership === "knock") {
      throw new MatrixError(400, "M_UNKNOWN", "You must leave the room before forgetting it");
    }
    if (membership === undefined) throw new MatrixError(404, "M_NOT_FOUND", "You have never been in this room");
    await this.rooms.setForgotten(room.roomNid, userId);
  }

  /** Leaves every room and rejects every invite (account deactivation). */
  async leaveAllRooms(userId: string): Promise<void> {
    for (const membership of await this.rooms.membershipsOf(userId)) {
      if (membership.membership === "join" || membership.membership === "invite" || membership.membership === "knock") {
        await this.change(membership.roomId, userId, userId, "leave", {}).catch(() => undefined);
      }
    }
    await this.remote?.leaveAll(userId).catch(() => undefined);
  }

  private async change(
    roomId: string,
    sender: string,
    target: string,
    membership: string,
    options: MembershipOptions,
    check?: (head: RoomHead) => Promise<void>,
  ): Promise<PersistedEvent> {
    // Without this a kick or ban of "alice" would write an m.room.member event keyed by a non-user.
    if (!isValidUserId(target, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user ID");
    await this.localHead(roomId);
    return this.sender.send(
      roomId,
      { type: "m.room.member", sender, stateKey: target, content: {} },
      {
        ...(options.txn ? { txn: options.txn } : {}),
        ...(check ? { check } : {}),
        draft: async () => ({ content: await this.memberContent(target, membership, options) }),
      },
    );
  }
}
