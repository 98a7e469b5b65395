/**
 * POST /createRoom (client-server API "Creation"): the create event, the creator's join, power levels,
 * canonical alias, the preset's join rules / history visibility / guest access, initial_state, name,
 * topic, then invites. The initial events are persisted in one transaction with the room itself.
 */
import { randomBytes } from "node:crypto";
import { MatrixError } from "../../errors.js";
import { stateKey } from "../../protocol/event.js";
import { isValidUserId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import { DEFAULT_ROOM_VERSION, findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import { roomIdFromCreateEventId } from "../../protocol/room-id.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { UserStore } from "../../storage/user-store.js";
import type { Clock } from "../clock.js";
import type { RoomHead } from "./current-state.js";
import type { EventPersister } from "./event-persister.js";
import type { BuiltRef, Draft, EventSender } from "./event-sender.js";
import type { RoomLinearizer } from "./room-linearizer.js";

export interface CreateRoomRequest {
  visibility?: "public" | "private";
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

/** What create needs from membership: inviting after the room exists. */
export interface Inviter {
  invite(roomId: string, sender: string, target: string, options: { isDirect?: boolean }): Promise<unknown>;
}

export interface AliasRegistry {
  /** Validates and reserves `#name:server` for the room in the caller's flow; throws M_ROOM_IN_USE / M_INVALID_PARAM. */
  checkAliasFree(alias: string): Promise<void>;
  createAlias(alias: string, roomId: string, creator: string): Promise<void>;
}

/** What create needs from the room directory: whether the creator may publish the room there. */
export interface DirectoryPublisher {
  /** Throws 403 M_FORBIDDEN when `userId` may not publish rooms. */
  checkPublish(userId: string): Promise<void>;
}

export class CreateRoomService {
  private inviter: Inviter | undefined;
  private aliases: AliasRegistry | undefined;
  private publisher: DirectoryPublisher | undefined;

  constructor(
    private readonly sender: EventSender,
    private readonly persister: EventPersister,
    private readonly linearizer: RoomLinearizer,
    private readonly rooms: RoomStore,
    private readonly users: UserStore,
    private readonly clock: Clock,
    private readonly serverName: string,
    private readonly defaultVersion: string = DEFAULT_ROOM_VERSION,
  ) {}

  /** Wired by context.ts (membership and aliases are built on rooms, not the other way). */
  wire(inviter: Inviter, aliases: AliasRegistry, publisher?: DirectoryPublisher): void {
    this.inviter = inviter;
    this.aliases = aliases;
    this.publisher = publisher;
  }

  /** The origin_server_ts of the last create event built here whose hash names its room. */
  private lastCreateTs = 0;

  /**
   * A time for a create event that names its room (room versions 12 and later): later than any such
   * create event built here before. The room ID is the create event's hash, so two rooms one user
   * created with the same request in the same millisecond would get one ID (seen: a client creating
   * rooms in parallel got a 500 from the database's unique key for the second).
   */
  private nextCreateTs(): number {
    this.lastCreateTs = Math.max(this.clock.now(), this.lastCreateTs + 1);
    return this.lastCreateTs;
  }

  async createRoom(creator: string, request: CreateRoomRequest): Promise<{ room_id: string; room_alias?: string }> {
    const versionId = request.room_version ?? this.defaultVersion;
    const version = findRoomVersion(versionId);
    if (!version) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Unsupported room version ${versionId}`);
    const preset = request.preset ?? (request.visibility === "public" ? "public_chat" : "private_chat");
    const invites = request.invite ?? [];
    for (const userId of invites) {
      if (!isValidUserId(userId, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid user ID ${userId}`);
    }
    let alias: string | undefined;
    if (request.room_alias_name !== undefined) {
      alias = `#${request.room_alias_name}:${this.serverName}`;
      await this.aliases?.checkAliasFree(alias);
    }
    if (request.visibility === "public") await this.publisher?.checkPublish(creator);
    const profile = await this.users.getProfile(creator);
    const drafts = this.initialEvents(version, creator, request, preset, alias, profile);

    const roomIdForOldVersions = version.roomIdFromCreateEvent ? undefined : `!${randomBytes(12).toString("base64url")}:${this.serverName}`;
    const lockKey = roomIdForOldVersions ?? `create:${randomBytes(8).toString("hex")}`;
    const roomId = await this.linearizer.run(lockKey, async () => {
      const pending = new Map<string, BuiltRef>();
      let head: RoomHead = {
        room: { roomNid: 0, roomId: roomIdForOldVersions ?? "", roomVersion: version.id, createdTs: this.clock.now(), visibility: "private", partialState: false },
        version,
        state: new Map(),
        extremities: [],
        depth: 0,
        snapshot: null,
      };
      const built: BuiltRef[] = [];
      for (const draft of drafts) {
        const namesRoom = draft.type === "m.room.create" && version.roomIdFromCreateEvent;
        const ref = await this.sender.build(head, draft, pending, namesRoom ? this.nextCreateTs() : undefined);
        if (namesRoom) head = { ...head, room: { ...head.room, roomId: roomIdFromCreateEventId(ref.eventId) } };
        pending.set(ref.eventId, ref);
        built.push(ref);
        const state = typeof ref.event.state_key === "string" ? new Map(head.state).set(stateKey(ref.event.type, ref.event.state_key), ref.eventId) : head.state;
        head = { ...head, state, extremities: [ref.eventId], depth: ref.depth };
      }
      const initialHead: RoomHead = { ...head, state: new Map(), extremities: [], depth: 0 };
      await this.persister.persistChain(initialHead, built.map((ref) => ({ pdu: ref.pdu, event: ref.event, json: ref.json })), { newRoom: true });
      return head.room.roomId;
    });

    if (alias) await this.aliases?.createAlias(alias, roomId, creator);
    if (request.visibility === "public") await this.rooms.setVisibility(roomId, "public");
    for (const target of invites) {
      await this.inviter?.invite(roomId, creator, target, { isDirect: request.is_direct ?? false });
    }
    return { room_id: roomId, ...(alias ? { room_alias: alias } : {}) };
  }

  private initialEvents(
    version: RoomVersion,
    creator: string,
    request: CreateRoomRequest,
    preset: NonNullable<CreateRoomRequest["preset"]>,
    alias: string | undefined,
    profile: Record<string, unknown>,
  ): Draft[] {
    const state = (type: string, content: JsonObject, key = ""): Draft => ({ type, sender: creator, content, stateKey: key });
    const createContent: JsonObject = { ...(request.creation_content ?? {}), room_version: version.id };
    if (!version.implicitCreator) createContent["creator"] = creator;
    else delete createContent["creator"];
    const member: JsonObject = { membership: "join" };
    if (typeof profile["displayname"] === "string") member["displayname"] = profile["displayname"];
    if (typeof profile["avatar_url"] === "string") member["avatar_url"] = profile["avatar_url"];

    const users: JsonObject = version.privilegedCreators ? {} : { [creator]: 100 };
    if (preset === "trusted_private_chat") for (const id of request.invite ?? []) users[id] = 100;
    const powerLevels: JsonObject = {
      users,
      users_default: 0,
      events: {
        "m.room.name": 50,
        "m.room.power_levels": 100,
        "m.room.history_visibility": 100,
        "m.room.canonical_alias": 50,
        "m.room.avatar": 50,
        "m.room.tombstone": 100,
        "m.room.server_acl": 100,
        "m.room.encryption": 100,
      },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      // As Synapse: anyone may invite in private rooms, moderators in public ones.
      invite: preset === "public_chat" ? 50 : 0,
      historical: 100,
      ...(request.power_level_content_override ?? {}),
    };
    if (version.privilegedCreators && typeof powerLevels["users"] === "object" && powerLevels["users"] !== null) {
      const creators = new Set([creator, ...((createContent["additional_creators"] as string[] | undefined) ?? [])]);
      for (const id of creators) {
        if (id in (powerLevels["users"] as JsonObject)) throw new MatrixError(400, "M_INVALID_PARAM", "Room creators cannot be given a power level in room version 12");
      }
    }

    const drafts: Draft[] = [state("m.room.create", createContent), state("m.room.member", member, creator), state("m.room.power_levels", powerLevels)];
    if (alias) drafts.push(state("m.room.canonical_alias", { alias }));
    const presetState: [string, JsonObject][] = [
      ["m.room.join_rules", { join_rule: preset === "public_chat" ? "public" : "invite" }],
      ["m.room.history_visibility", { history_visibility: "shared" }],
      ["m.room.guest_access", { guest_access: preset === "public_chat" ? "forbidden" : "can_join" }],
    ];
    const initial = request.initial_state ?? [];
    const overridden = new Set(initial.map((e) => stateKey(e.type, e.state_key ?? "")));
    for (const [type, content] of presetState) if (!overridden.has(stateKey(type, ""))) drafts.push(state(type, content));
    for (const event of initial) {
      if (event.type === "m.room.create" || event.type === "m.room.member" || event.type === "m.room.power_levels") continue;
      drafts.push(state(event.type, event.content, event.state_key ?? ""));
    }
    if (request.name !== undefined) drafts.push(state("m.room.name", { name: request.name }));
    if (request.topic !== undefined) {
      drafts.push(state("m.room.topic", { topic: request.topic, "m.topic": [{ body: request.topic, mimetype: "text/plain" }] }));
    }
    return drafts;
  }
}
