/**
 * Room aliases (client-server API "Room aliases"): this server's `#alias:server` -> room ID mappings.
 * Creating, resolving and deleting local aliases, listing a room's local aliases, resolving aliases for
 * joins, and the checks createRoom and `m.room.canonical_alias` need. Aliases of other servers are
 * asked of their server over federation (remote-aliases.ts) once `setRemote` wired it.
 */
import { MatrixError } from "../../errors.js";
import { domainOfId, parseRoomAlias } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import { requiredPowerToSend } from "../../protocol/power-levels.js";
import type { Db } from "../../storage/db.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { Requester } from "../accounts/requester.js";
import type { Clock } from "../clock.js";
import type { AliasRegistry } from "../rooms/create-room.js";
import type { CurrentStateCache, RoomHead } from "../rooms/current-state.js";
import type { EventSender } from "../rooms/event-sender.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import type { AliasTarget, RemoteAliases } from "./remote-aliases.js";

const invalid = (): MatrixError => new MatrixError(400, "M_INVALID_PARAM", "Room alias invalid");

export class AliasService implements AliasRegistry {
  private remote: RemoteAliases | undefined;

  constructor(
    private readonly db: Db,
    private readonly rooms: RoomStore,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly sender: EventSender,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** Wired by context.ts: aliases of other servers are then asked of their server. */
  setRemote(remote: RemoteAliases): void {
    this.remote = remote;
  }

  /** Checks the grammar of an alias (400 M_INVALID_PARAM) and says whether it is this server's. */
  private parse(alias: string): { isLocal: boolean } {
    const parts = parseRoomAlias(alias);
    if (!parts) throw invalid();
    return { isLocal: parts.serverName === this.serverName };
  }

  /**
   * A new local alias: valid, on this server, with a non-empty localpart free of whitespace (Synapse
   * refuses whitespace too: such aliases cannot be typed or linked reliably).
   */
  private checkNewAlias(alias: string): void {
    const parts = parseRoomAlias(alias);
    if (!parts || parts.alias === "" || /\s/u.test(parts.alias)) throw invalid();
    if (parts.serverName !== this.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Room alias must be local");
  }

  /** The room an alias points to, or undefined (unknown, or another server's alias). */
  async lookup(alias: string): Promise<string | undefined> {
    if (!this.parse(alias).isLocal) return undefined;
    return (await this.rooms.getAlias(alias))?.roomId;
  }

  /** A room ID for `#alias` or `!room` (joins, knocks, summaries); 404 for an unknown alias. */
  async resolve(roomIdOrAlias: string): Promise<string> {
    if (!roomIdOrAlias.startsWith("#")) return roomIdOrAlias;
    const roomId = await this.lookup(roomIdOrAlias);
    if (roomId === undefined) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${roomIdOrAlias} not found`);
    return roomId;
  }

  /** For `m.room.canonical_alias`: the room a listed alias points to; 400 M_INVALID_PARAM for bad syntax. */
  async canonicalAliasTarget(alias: string): Promise<string | undefined> {
    return this.lookup(alias);
  }

  /** createRoom's `room_alias_name`: the alias must be valid and free (400 M_ROOM_IN_USE). */
  async checkAliasFree(alias: string): Promise<void> {
    this.checkNewAlias(alias);
    if (await this.rooms.getAlias(alias)) throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
  }

  /** createRoom's alias, once the room exists; another creator winning the race is M_ROOM_IN_USE. */
  async createAlias(alias: string, roomId: string, creator: string): Promise<void> {
    const created = await this.db.transaction((tx) => this.rooms.createAlias(tx.db, alias, roomId, creator, this.clock.now()));
    if (!created) throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
  }

  /**
   * A room ID and the servers to join it through, for `/join` and `/knock` by `#alias` or `!room`
   * (no servers for a room ID: the caller's `via` and the room ID's server do).
   */
  async resolveWithServers(roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
    if (!roomIdOrAlias.startsWith("#")) return { roomId: roomIdOrAlias, servers: [] };
    const target = await this.getAlias(roomIdOrAlias);
    return { roomId: target.room_id, servers: target.servers };
  }

  /** GET /directory/room/{roomAlias}: the room and servers that can be joined through, asked of the alias's server when it is not this one. */
  async getAlias(alias: string): Promise<AliasTarget> {
    const parts = parseRoomAlias(alias);
    if (parts && parts.serverName !== this.serverName && this.remote) return this.remote.query(alias, parts.serverName);
    return this.getLocalAlias(alias);
  }

  /** Federation `query/directory`: this server's aliases only (other servers' are not ours to answer for). */
  async getLocalAlias(alias: string): Promise<AliasTarget> {
    const roomId = await this.lookup(alias);
    if (roomId === undefined) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
    const servers = new Set<string>([this.serverName]);
    const room = await this.rooms.get(roomId);
    if (room) for (const member of await this.rooms.members(room.roomNid, "join")) servers.add(domainOfId(member));
    return { room_id: roomId, servers: [...servers] };
  }

  /**
   * PUT /directory/room/{roomAlias}. As Synapse (its default `require_membership_for_aliases`), the
   * creator must be joined to the room unless they are a server administrator.
   */
  async setAlias(requester: Requester, alias: string, roomId: string): Promise<void> {
    this.checkNewAlias(alias);
    const head = await this.cache.find(roomId);
    if (!head) throw new MatrixError(400, "M_INVALID_PARAM", "Room does not exist");
    if (!requester.isAdmin && (await this.reader.membership(head, requester.userId)) !== "join") {
      throw new MatrixError(403, "M_FORBIDDEN", "You must be in the room to create an alias for it");
    }
    const created = await this.db.transaction((tx) => this.rooms.createAlias(tx.db, alias, roomId, requester.userId, this.clock.now()));
    if (!created) throw new MatrixError(409, "M_UNKNOWN", `Room alias ${alias} already exists`);
  }

  /**
   * DELETE /directory/room/{roomAlias}: by the alias's creator, a server administrator, or a member who
   * may change the room's canonical alias (as Synapse). The alias also leaves the room's
   * `m.room.canonical_alias`, when the requester may send it (the spec recommends deleting regardless).
   */
  async deleteAlias(requester: Requester, alias: string): Promise<void> {
    if (!this.parse(alias).isLocal) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
    const mapping = await this.rooms.getAlias(alias);
    if (!mapping) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
    const head = await this.cache.find(mapping.roomId);
    const allowed = mapping.creator === requester.userId || requester.isAdmin || (head !== undefined && (await this.mayEditAliases(head, requester.userId)));
    if (!allowed) throw new MatrixError(403, "M_FORBIDDEN", "You don't have permission to delete the alias");
    const deleted = await this.db.transaction((tx) => this.rooms.deleteAlias(tx.db, alias));
    if (!deleted) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
    if (head) await this.removeFromCanonicalAlias(head.room.roomId, requester.userId, alias);
  }

  /** Joined, with the power to send `m.room.canonical_alias` (Synapse's "moderator" test for aliases and the directory). */
  async mayEditAliases(head: RoomHead, userId: string): Promise<boolean> {
    if ((await this.reader.membership(head, userId)) !== "join") return false;
    const needed = requiredPowerToSend(await this.reader.powerLevels(head), "m.room.canonical_alias", true);
    return (await this.reader.userPower(head, userId)) >= needed;
  }

  private async removeFromCanonicalAlias(roomId: string, userId: string, alias: string): Promise<void> {
    const head = await this.cache.head(roomId);
    const current = await this.reader.content(head, "m.room.canonical_alias");
    if (!current) return;
    const content: JsonObject = { ...current };
    let changed = false;
    if (content["alias"] === alias) {
      delete content["alias"];
      changed = true;
    }
    const alt = content["alt_aliases"];
    if (Array.isArray(alt) && alt.includes(alias)) {
      const rest = alt.filter((a) => a !== alias);
      if (rest.length > 0) content["alt_aliases"] = rest;
      else delete content["alt_aliases"];
      changed = true;
    }
    if (!changed) return;
    try {
      await this.sender.send(roomId, { type: "m.room.canonical_alias", sender: userId, stateKey: "", content });
    } catch (error) {
      // The requester may delete the alias without being allowed to edit the state event.
      if (!(error instanceof MatrixError)) throw error;
    }
  }

  /**
   * GET /rooms/{roomId}/aliases: for members, anyone when the room is world-readable, and server
   * administrators. Unknown rooms answer 403 like rooms the user cannot see (the spec lists no 404).
   */
  async localAliases(requester: Requester, roomId: string): Promise<string[]> {
    const head = await this.cache.find(roomId);
    if (!requester.isAdmin) {
      const membership = head ? await this.reader.membership(head, requester.userId) : undefined;
      const worldReadable = head ? (await this.reader.content(head, "m.room.history_visibility"))?.["history_visibility"] === "world_readable" : false;
      if (membership !== "join" && !worldReadable) throw new MatrixError(403, "M_FORBIDDEN", "You are not a member of the room");
    }
    return this.rooms.aliasesOf(roomId);
  }

  /** Points every local alias of a room at another (room upgrades); returns the aliases moved. */
  async moveAliases(fromRoomId: string, toRoomId: string): Promise<string[]> {
    return this.db.transaction((tx) => this.rooms.moveAliases(tx.db, fromRoomId, toRoomId));
  }
}
