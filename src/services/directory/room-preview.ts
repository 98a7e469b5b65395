/**
 * Who may see a room's summary without being in it (client-server API "Spaces" /hierarchy and
 * "Room Summaries"): anyone when the room is public, knockable or world-readable; otherwise members
 * and invitees, and users who satisfy a restricted join rule. Also builds the summary of one room.
 */
import type { RoomStore } from "../../storage/room-store.js";
import type { DirectoryStore } from "../../storage/directory-store.js";
import { isRestrictedJoinRule } from "../../protocol/auth/restricted-join.js";
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
