/**
 * `registration.auto_join_rooms`: every new account joins these rooms (aliases or IDs) right after it
 * is made, as Synapse does for its setting of the same name. A room that cannot be joined (unknown
 * alias, invite-only) is skipped with a warning: registration itself has already succeeded and must
 * not fail for it.
 */
import type { Logger } from "../../logger.js";
import { MatrixError } from "../../errors.js";
import type { NewAccountHook } from "./registration-service.js";

export interface RoomJoiner {
  join(roomIdOrAlias: string, userId: string): Promise<{ room_id: string }>;
}

export function autoJoinHook(rooms: readonly string[], joiner: RoomJoiner, log: Logger): NewAccountHook {
  return async (userId) => {
    for (const room of rooms) {
      try {
        await joiner.join(room, userId);
      } catch (error) {
        if (!(error instanceof MatrixError)) throw error;
        log.warn({ room, userId, errcode: error.errcode, reason: error.message }, "could not auto-join a new account to a room");
      }
    }
  };
}
