/**
 * Restricted joins (`restricted`, `knock_restricted`): a resident member who may invite vouches for a
 * joiner who is joined to one of the rooms the join rules' `allow` list names. Used for local users'
 * joins and for make_join of other servers' users (server-server API "Restricted rooms").
 */
import { MatrixError, type ErrCode } from "../../errors.js";
import { isJsonObject } from "../../protocol/json.js";
import { isRestrictedJoinRule } from "../../protocol/auth/restricted-join.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { RoomHead } from "./current-state.js";
import type { RoomStateReader } from "./room-state-reader.js";

export class RestrictedJoinAuthoriser {
  constructor(
    private readonly reader: RoomStateReader,
    private readonly rooms: RoomStore,
  ) {}

  /**
   * The local member to name in `join_authorised_via_users_server`, or undefined when the join needs
   * none (the rule is not restricted, or the user is already joined or invited).
   *
   * 403 M_FORBIDDEN when the user is in none of the allowed rooms we know; with `unknownRooms`, the
   * errcode for "none of the allowed rooms is known here" (federation: M_UNABLE_TO_AUTHORISE_JOIN, so
   * the joining server tries another); 400 M_UNABLE_TO_GRANT_JOIN when no local member may invite.
   */
  async authoriser(head: RoomHead, userId: string, unknownRooms?: ErrCode): Promise<string | undefined> {
    const joinRules = await this.reader.content(head, "m.room.join_rules");
    const joinRule = joinRules?.["join_rule"];
    if (typeof joinRule !== "string" || !isRestrictedJoinRule(head.version, joinRule)) return undefined;
    const current = await this.reader.membership(head, userId);
    if (current === "join" || current === "invite") return undefined;
    const allow = Array.isArray(joinRules?.["allow"]) ? joinRules["allow"] : [];
    const allowedRooms = allow.filter((a) => isJsonObject(a) && a["type"] === "m.room_membership").map((a) => (a as Record<string, unknown>)["room_id"]);
    let qualifies = false;
    let anyKnown = false;
    for (const roomId of allowedRooms) {
      if (typeof roomId !== "string") continue;
      const room = await this.rooms.get(roomId);
      if (!room) continue;
      anyKnown = true;
      if ((await this.rooms.membership(room.roomNid, userId)) === "join") {
        qualifies = true;
        break;
      }
    }
    if (!qualifies) {
      if (!anyKnown && unknownRooms !== undefined) throw new MatrixError(400, unknownRooms, "None of the rooms that grant access is known to this server");
      throw new MatrixError(403, "M_FORBIDDEN", "Not a member of any room that grants access to this one");
    }
    const levels = await this.reader.powerLevels(head);
    for (const member of await this.rooms.members(head.room.roomNid, "join", { localOnly: true })) {
      if ((await this.reader.userPower(head, member)) >= levels.invite) return member;
    }
    throw new MatrixError(400, "M_UNABLE_TO_GRANT_JOIN", "No member of this server can authorise the join");
  }
}
