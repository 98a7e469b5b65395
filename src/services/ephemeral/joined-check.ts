/** The membership check typing and receipts share: the requester must be joined to the room. */
import { MatrixError } from "../../errors.js";

/** What the check needs from the room store. */
export interface MembershipLookup {
  get(roomId: string): Promise<{ roomNid: number } | undefined>;
  membership(roomNid: number, userId: string): Promise<string | undefined>;
}

/**
 * Returns the room's number when `userId` is joined; 403 otherwise, also for unknown rooms so that
 * the answer does not tell whether a room exists (as Synapse's "not in room" check).
 */
export async function requireJoined(rooms: MembershipLookup, roomId: string, userId: string): Promise<number> {
  const room = await rooms.get(roomId);
  if (room && (await rooms.membership(room.roomNid, userId)) === "join") return room.roomNid;
  throw new MatrixError(403, "M_FORBIDDEN", `${userId} is not in room ${roomId}`);
}
