/**
 * POST /rooms/{roomId}/upgrade (client-server API "Room upgrades"): replaces a room with a new room of
 * another version. Following the spec's server behaviour and Synapse:
 * 1. the upgrader must be able to send `m.room.tombstone` in the old room;
 * 2. the new room's create event names its `predecessor` and keeps the room `type` (and `m.federate`);
 * 3. name, topic, avatar, join rules, history visibility, guest access, encryption, server ACLs, power
 *    levels (and a space's children) are copied; bans are copied too (as Synapse);
 * 4. local aliases, the canonical alias and the directory entry move to the new room;
 * 5. the old room gets the tombstone, then power levels that stop ordinary members speaking and inviting.
 * Members are not invited to the new room: the spec says membership is not transferred and Synapse
 * copies only bans; clients invite the old room's members themselves when the new room needs it.
 * Each local user's tags and `m.direct` entries follow them when they join (upgrade-carry-over.ts).
 */
import type { Logger } from "../../logger.js";
import { MatrixError } from "../../errors.js";
import { domainOfId, isValidUserId } from "../../protocol/identifiers.js";
import { cloneJson, type JsonObject } from "../../protocol/json.js";
import { requiredPowerToSend, roomCreators } from "../../protocol/power-levels.js";
import { findRoomVersion, type RoomVersion } from "../../protocol/room-versions.js";
import type { AliasService } from "../directory/alias-service.js";
import type { RoomDirectoryService } from "../directory/room-directory.js";
import { visibleContent } from "../directory/summary-fields.js";
import type { CreateRoomRequest, CreateRoomService } from "./create-room.js";
import type { CurrentStateCache, RoomHead } from "./current-state.js";
import type { EventSender } from "./event-sender.js";
import { roomEventOf } from "./room-event-view.js";
import type { RoomStateReader } from "./room-state-reader.js";
import { restrictedOldRoomLevels, upgradeLevels } from "./upgrade-power-levels.js";

/** How long a repeated upgrade request gets the first one's answer (Synapse's five minutes). */
const REPEAT_WINDOW_MS = 5 * 60_000;

/** The state carried into the new room (the spec's recommended list). */
const COPIED_TYPES = [
  "m.room.server_acl",
  "m.room.encryption",
  "m.room.name",
  "m.room.avatar",
  "m.room.topic",
  "m.room.guest_access",
  "m.room.history_visibility",
  "m.room.join_rules",
];

export class RoomUpgradeService {
  /** The latest upgrade started per room in this process. */
  private readonly running = new Map<string, Promise<{ replacement_room: string }>>();
  /** Upgrades running or recently done, by room and user. */
  private readonly answers = new Map<string, Promise<{ replacement_room: string }>>();

  constructor(
    private readonly createRoom: CreateRoomService,
    private readonly sender: EventSender,
    private readonly cache: CurrentStateCache,
    private readonly reader: RoomStateReader,
    private readonly aliases: AliasService,
    private readonly directory: RoomDirectoryService,
    private readonly log: Logger,
    private readonly serverName: string,
  ) {}

  /**
   * Upgrades `roomId` to `newVersionId`; returns the replacement room's ID. The same user asking again
   * for the same room while the upgrade runs or within five minutes of it (a client retrying a slow
   * upgrade) gets the same answer instead of a second replacement room; upgrades of one room by
   * different users run one after the other (as Synapse). Only requests reaching this process are merged.
   */
  async upgrade(userId: string, roomId: string, newVersionId: string, additionalCreators: readonly string[] = []): Promise<{ replacement_room: string }> {
    const key = `${roomId}\u0000${userId}`;
    const earlier = this.answers.get(key);
    if (earlier) return earlier;
    const before = this.running.get(roomId);
    const result = (async () => {
      if (before) await before.catch(() => undefined);
      return this.upgradeNow(userId, roomId, newVersionId, additionalCreators);
    })();
    this.answers.set(key, result);
    this.running.set(roomId, result);
    try {
      const answer = await result;
      setTimeout(() => this.answers.delete(key), REPEAT_WINDOW_MS).unref();
      return answer;
    } catch (error) {
      this.answers.delete(key);
      throw error;
    } finally {
      if (this.running.get(roomId) === result) this.running.delete(roomId);
    }
  }

  private async upgradeNow(userId: string, roomId: string, newVersionId: string, additionalCreators: readonly string[]): Promise<{ replacement_room: string }> {
    const newVersion = findRoomVersion(newVersionId);
    if (!newVersion) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", "This server does not support that room version");
    for (const id of additionalCreators) {
      if (!isValidUserId(id, { historical: true })) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid user ID ${id}`);
    }
    const head = await this.cache.head(roomId);
    await this.checkMayUpgrade(head, userId);
    const oldVersion = head.version;
    // Additional creators only exist where creators are privileged; the upgrader is a creator anyway.
    const extraCreators = newVersion.privilegedCreators ? [...new Set(additionalCreators)].filter((id) => id !== userId) : [];

    const createEvent = await this.reader.event(head, "m.room.create");
    const createContent = createEvent ? visibleContent(createEvent, oldVersion) : {};
    const oldCreators = createEvent ? roomCreators(oldVersion, roomEventOf(createEvent, oldVersion)) : [];
    const levels = upgradeLevels(oldVersion, newVersion, await this.content(head, "m.room.power_levels"), userId, [userId, ...extraCreators], oldCreators);
    const canonical = await this.splitCanonicalAlias(head);
    const initialState = await this.copiedState(head, typeof createContent["type"] === "string" ? createContent["type"] : undefined);
    if (canonical.forNewRoom) initialState.push({ type: "m.room.canonical_alias", state_key: "", content: canonical.forNewRoom });

    const request: CreateRoomRequest = {
      room_version: newVersion.id,
      preset: "private_chat",
      creation_content: this.creationContent(head, newVersion, createContent, extraCreators),
      initial_state: initialState,
      power_level_content_override: levels.initial,
    };
    const { room_id: newRoomId } = await this.createRoom.createRoom(userId, request);

    await this.copyBans(head, newRoomId, userId);
    if (JSON.stringify(levels.initial) !== JSON.stringify(levels.final)) {
      await this.bestEffort("restore the upgrader's power level", () =>
        this.sender.send(newRoomId, { type: "m.room.power_levels", sender: userId, stateKey: "", content: levels.final }),
      );
    }

    await this.sender.send(roomId, {
      type: "m.room.tombstone",
      sender: userId,
      stateKey: "",
      content: { body: "This room has been replaced", replacement_room: newRoomId },
    });
    await this.aliases.moveAliases(roomId, newRoomId);
    if (canonical.forOldRoom) {
      const content = canonical.forOldRoom;
      await this.bestEffort("update the old room's canonical alias", () => this.sender.send(roomId, { type: "m.room.canonical_alias", sender: userId, stateKey: "", content }));
    }
    await this.directory.moveVisibility(roomId, newRoomId);
    const restricted = restrictedOldRoomLevels(oldVersion, await this.content(head, "m.room.power_levels"));
    if (restricted) {
      await this.bestEffort("restrict the old room's power levels", () =>
        this.sender.send(roomId, { type: "m.room.power_levels", sender: userId, stateKey: "", content: restricted }),
      );
    }
    return { replacement_room: newRoomId };
  }

  private async checkMayUpgrade(head: RoomHead, userId: string): Promise<void> {
    if ((await this.reader.membership(head, userId)) !== "join") throw new MatrixError(403, "M_FORBIDDEN", "You are not in this room");
    const needed = requiredPowerToSend(await this.reader.powerLevels(head), "m.room.tombstone", true);
    if ((await this.reader.userPower(head, userId)) < needed) throw new MatrixError(403, "M_FORBIDDEN", "You cannot upgrade this room");
  }

  private async content(head: RoomHead, type: string, key = ""): Promise<JsonObject | undefined> {
    const stored = await this.reader.event(head, type, key);
    return stored ? visibleContent(stored, head.version) : undefined;
  }

  /**
   * The new create event's content. `predecessor.event_id` is the old room's latest event: the
   * tombstone cannot be named, since it names the new room; v12 room IDs hash the create event, so
   * there the field is left out (the spec allows it from v1.16).
   */
  private creationContent(head: RoomHead, newVersion: RoomVersion, oldCreate: JsonObject, extraCreators: readonly string[]): JsonObject {
    const predecessor: JsonObject = { room_id: head.room.roomId };
    const latest = head.extremities[head.extremities.length - 1];
    if (!newVersion.roomIdFromCreateEvent && latest !== undefined) predecessor["event_id"] = latest;
    const content: JsonObject = { predecessor };
    if (typeof oldCreate["type"] === "string") content["type"] = oldCreate["type"];
    if (oldCreate["m.federate"] === false) content["m.federate"] = false;
    if (extraCreators.length > 0) content["additional_creators"] = [...extraCreators];
    return content;
  }

  /** The copied state events; a space also keeps its live children. */
  private async copiedState(head: RoomHead, roomType: string | undefined): Promise<{ type: string; state_key: string; content: JsonObject }[]> {
    const out: { type: string; state_key: string; content: JsonObject }[] = [];
    for (const type of COPIED_TYPES) {
      const content = await this.content(head, type);
      if (content !== undefined) out.push({ type, state_key: "", content: cloneJson(content) });
    }
    // No guest_access event means guests are refused; say so, or createRoom's preset would admit them.
    if (!out.some((e) => e.type === "m.room.guest_access")) out.push({ type: "m.room.guest_access", state_key: "", content: { guest_access: "forbidden" } });
    if (roomType === "m.space") {
      for (const stored of await this.reader.stateEvents(head, new Set(["m.space.child"]))) {
        const content = visibleContent(stored, head.version);
        if (Object.keys(content).length > 0) out.push({ type: "m.space.child", state_key: stored.pdu.state_key as string, content: cloneJson(content) });
      }
    }
    return out;
  }

  /** This server's aliases move with the room; other servers' stay listed in the old room (as Synapse). */
  private async splitCanonicalAlias(head: RoomHead): Promise<{ forNewRoom?: JsonObject; forOldRoom?: JsonObject }> {
    const current = await this.content(head, "m.room.canonical_alias");
    if (!current) return {};
    const isLocal = (alias: unknown): alias is string => typeof alias === "string" && domainOfId(alias) === this.serverName;
    const forNewRoom: JsonObject = {};
    const forOldRoom: JsonObject = cloneJson(current);
    if (isLocal(current["alias"])) {
      forNewRoom["alias"] = current["alias"];
      delete forOldRoom["alias"];
    }
    const alt = current["alt_aliases"];
    if (Array.isArray(alt)) {
      const local = alt.filter(isLocal);
      const remote = alt.filter((a) => !isLocal(a));
      if (local.length > 0) forNewRoom["alt_aliases"] = local;
      if (remote.length > 0) forOldRoom["alt_aliases"] = remote;
      else delete forOldRoom["alt_aliases"];
    }
    // Nothing of ours was listed: both rooms keep what they have.
    if (Object.keys(forNewRoom).length === 0) return {};
    return { forNewRoom, forOldRoom };
  }

  /** Bans carry over, so that an upgrade is no way back in (as Synapse). */
  private async copyBans(head: RoomHead, newRoomId: string, userId: string): Promise<void> {
    for (const stored of await this.reader.stateEvents(head, new Set(["m.room.member"]))) {
      const content = visibleContent(stored, head.version);
      if (content["membership"] !== "ban") continue;
      const target = stored.pdu.state_key as string;
      await this.bestEffort(`copy the ban of ${target}`, () =>
        this.sender.send(newRoomId, { type: "m.room.member", sender: userId, stateKey: target, content: cloneJson(content) }),
      );
    }
  }

  /** Steps after the new room exists do not undo the upgrade when they fail (as Synapse): log and go on. */
  private async bestEffort(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof MatrixError)) throw error;
      this.log.warn({ err: error }, `room upgrade: could not ${what}`);
    }
  }
}
