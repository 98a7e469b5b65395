/**
 * The fully read marker (`m.fully_read` room account data). It lives in the account data table; the
 * read markers API is the only writer (clients may not set it directly), so it has its own two
 * queries here rather than going through the general account data store.
 */
import type { Executor } from "./db.js";

export const FULLY_READ_TYPE = "m.fully_read";

/** The event the user's fully read marker points at in a room, if any. */
export async function readFullyReadMarker(executor: Executor, userId: string, roomId: string): Promise<string | undefined> {
  const row = await executor
    .selectFrom("account_data")
    .select("content")
    .where("user_id", "=", userId)
    .where("room_id", "=", roomId)
    .where("type", "=", FULLY_READ_TYPE)
    .executeTakeFirst();
  if (!row) return undefined;
  const content = JSON.parse(row.content) as Record<string, unknown>;
  return typeof content["event_id"] === "string" ? content["event_id"] : undefined;
}

/** Sets the fully read marker at `eventId` with the account data stream position `streamId`. */
export async function writeFullyReadMarker(executor: Executor, userId: string, roomId: string, eventId: string, streamId: number): Promise<void> {
  const content = JSON.stringify({ event_id: eventId });
  await executor
    .insertInto("account_data")
    .values({ user_id: userId, room_id: roomId, type: FULLY_READ_TYPE, content, stream_id: streamId })
    .onConflict((oc) => oc.columns(["user_id", "room_id", "type"]).doUpdateSet({ content, stream_id: streamId }))
    .execute();
}
