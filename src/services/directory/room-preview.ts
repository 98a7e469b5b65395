/**
 * Who may see a room's summary without being in it (client-server API "Spaces" /hierarchy and
 * "Room Summaries"): anyone when the room is public, knockable or world-readable; otherwise members
 * and invitees, and users who satisfy a restricted join rule; and which rooms other servers may see
 * (the federation hierarchy). Also builds the summary of one room.
 */
import type { RoomStore } from "../../storage/room-store.js";
import type { DirectoryStore } from "../../storage/directory-store.js";
import { isRestrictedJoinRule } from "../../protocol/auth/restricted-join.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { JsonObject } from "../../protocol/json.js";
import type { RoomHead } from "../rooms/current-state.js";
import type { RoomStateReader } from "../rooms/room-state-reader.js";
import { allowedRoomIds, roomSummaryFields, SUMMARY_STATE_TYPES, visibleContent, type RoomSummaryFields } from "./summary-fields.js";

export class RoomPreview {
  constructor(
    private readonly reader: RoomStateReader,
    private readonly rooms: RoomStore,
    private readonly directory: DirectoryStore,
  ) {}

  /**
   * Whether `userId` (or an anonymous caller) may see the room's summary. The hierarchy API refuses
   * banned users whatever the join rule (space_hierarchy.yaml); /room_summary reports their membership.
   */
  async mayPreview(head: RoomHead, userId: string | undefined, options: { refuseBanned?: boolean } = {}): Promise<boolean> {
    const membership = userId === undefined ? undefined : await this.reader.membership(head, userId);
    if (membership === "ban" && options.refuseBanned) return false;
    if (membership === "join" || membership === "invite") return true;
    const joinRules = await this.reader.content(head, "m.room.join_rules");
    const joinRule = joinRules?.["join_rule"];
    if (joinRule === "public") return true;
    if ((joinRule === "knock" && head.version.knocking) || (joinRule === "knock_restricted" && head.version.knockRestricted)) return true;
    if ((await this.reader.content(head, "m.room.history_visibility"))?.["history_visibility"] === "world_readable") return true;
    if (userId === undefined || typeof joinRule !== "string" || !isRestrictedJoinRule(head.version, joinRule)) return false;
    for (const roomId of allowedRoomIds(head.version, joinRules)) {
      const room = await this.rooms.get(roomId);
      if (room && (await this.rooms.membership(room.roomNid, userId)) === "join") return true;
    }
    return false;
  }

  /**
   * Whether another server may see the room's summary (server-server API "Spaces": rooms it could
   * peek or join). The spec gives no list; this is Synapse's: public, knockable or world-readable
   * rooms, rooms where the server has a joined or invited user, and restricted rooms whose allowed
   * rooms hold one of its users. A room closed to federation (`m.federate: false`) is never shown.
   */
  async mayServerPreview(head: RoomHead, origin: string): Promise<boolean> {
    if ((await this.reader.content(head, "m.room.create"))?.["m.federate"] === false) return false;
    const joinRules = await this.reader.content(head, "m.room.join_rules");
    const joinRule = joinRules?.["join_rule"];
    if (joinRule === "public") return true;
    if ((joinRule === "knock" && head.version.knocking) || (joinRule === "knock_restricted" && head.version.knockRestricted)) return true;
    if ((await this.reader.content(head, "m.room.history_visibility"))?.["history_visibility"] === "world_readable") return true;
    if ((await this.hasServerMember(head.room.roomNid, origin, "join")) || (await this.hasServerMember(head.room.roomNid, origin, "invite"))) return true;
    for (const roomId of allowedRoomIds(head.version, joinRules)) {
      const room = await this.rooms.get(roomId);
      if (room && (await this.hasServerMember(room.roomNid, origin, "join"))) return true;
    }
    return false;
  }

  /**
   * Whether a user may see the summary of a room this server is not in, as another server described
   * it (Synapse's rule; the summary carries no room version, so any knock rule counts): open rooms, and
   * restricted rooms whose allowed rooms the user is joined to here.
   */
  async mayPreviewRemote(summary: RoomSummaryFields, userId: string): Promise<boolean> {
    const joinRule = summary.join_rule;
    if (joinRule === "public" || joinRule === "knock" || joinRule === "knock_restricted" || summary.world_readable) return true;
    for (const roomId of summary.allowed_room_ids ?? []) {
      const room = await this.rooms.get(roomId);
      if (room && (await this.rooms.membership(room.roomNid, userId)) === "join") return true;
    }
    return false;
  }

  private async hasServerMember(roomNid: number, server: string, membership: string): Promise<boolean> {
    return (await this.rooms.members(roomNid, membership)).some((userId) => domainOfId(userId) === server);
  }

  /** The summary of a room from its current state. */
  async summary(head: RoomHead): Promise<RoomSummaryFields> {
    const contents = new Map<string, JsonObject | undefined>();
    for (const type of SUMMARY_STATE_TYPES) {
      const stored = await this.reader.event(head, type);
      contents.set(type, stored ? visibleContent(stored, head.version) : undefined);
    }
    const joined = (await this.directory.joinedCounts([head.room.roomNid])).get(head.room.roomNid) ?? 0;
    return roomSummaryFields(head.room.roomId, head.version, joined, (type) => contents.get(type));
  }
}
