/** The server notices room of each user (table `server_notice_rooms`, migration 003). */
import type { Db } from "./db.js";

export class ServerNoticeStore {
  constructor(private readonly db: Db) {}

  /** The user's notices room, if one was made. */
  async roomOf(userId: string): Promise<string | undefined> {
    const row = await this.db.kysely.selectFrom("server_notice_rooms").select("room_id").where("user_id", "=", userId).executeTakeFirst();
    return row?.room_id;
  }

  /** The user whose notices room this is, if it is one. */
  async userOf(roomId: string): Promise<string | undefined> {
    const row = await this.db.kysely.selectFrom("server_notice_rooms").select("user_id").where("room_id", "=", roomId).executeTakeFirst();
    return row?.user_id;
  }

  /** Records the user's room unless one is recorded already; returns the recorded room. */
  async setRoom(userId: string, roomId: string): Promise<string> {
    await this.db.kysely
      .insertInto("server_notice_rooms")
      .values({ user_id: userId, room_id: roomId })
      .onConflict((oc) => oc.column("user_id").doNothing())
      .execute();
    return (await this.roomOf(userId)) ?? roomId;
  }
}
