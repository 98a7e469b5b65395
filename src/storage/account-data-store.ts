/**
 * Account data (client-server API "Client Config"): one JSON object per user, room ("" for global)
 * and type, each write stamped with a position on the account_data stream so /sync can send what
 * changed since a token.
 */
import type { Db, Executor } from "./db.js";

export interface AccountDataRecord {
  /** "" for global account data. */
  roomId: string;
  type: string;
  content: Record<string, unknown>;
  streamId: number;
}

export class AccountDataStore {
  constructor(private readonly db: Db) {}

  /** The content of one entry, or undefined if the user never set it. */
  async get(userId: string, roomId: string, type: string, executor: Executor = this.db.kysely): Promise<Record<string, unknown> | undefined> {
    const row = await executor
      .selectFrom("account_data")
      .select("content")
      .where("user_id", "=", userId)
      .where("room_id", "=", roomId)
      .where("type", "=", type)
      .executeTakeFirst();
    return row ? (JSON.parse(row.content) as Record<string, unknown>) : undefined;
  }

  /** One global entry of each of `userIds` that has it, by user. */
  async globalOfMany(executor: Executor, userIds: readonly string[], type: string): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = await executor
        .selectFrom("account_data")
        .select(["user_id", "content"])
        .where("user_id", "in", userIds.slice(i, i + 500))
        .where("room_id", "=", "")
        .where("type", "=", type)
        .execute();
      for (const row of rows) out.set(row.user_id, JSON.parse(row.content) as Record<string, unknown>);
    }
    return out;
  }

  /** Writes an entry at stream position `streamId` (allocated in the same transaction). */
  async put(executor: Executor, userId: string, roomId: string, type: string, content: Record<string, unknown>, streamId: number): Promise<void> {
    const json = JSON.stringify(content);
    await executor
      .insertInto("account_data")
      .values({ user_id: userId, room_id: roomId, type, content: json, stream_id: streamId })
      .onConflict((oc) => oc.columns(["user_id", "room_id", "type"]).doUpdateSet({ content: json, stream_id: streamId }))
      .execute();
  }

  /**
   * The user's entries written in (after, upTo] (every entry when `after` is undefined), global
   * ones or room ones as `scope` says.
   */
  async changes(userId: string, scope: "global" | "rooms", after: number | undefined, upTo: number): Promise<AccountDataRecord[]> {
    let query = this.db.kysely
      .selectFrom("account_data")
      .select(["room_id", "type", "content", "stream_id"])
      .where("user_id", "=", userId)
      .where("stream_id", "<=", upTo)
      .where("room_id", scope === "global" ? "=" : "!=", "");
    if (after !== undefined) query = query.where("stream_id", ">", after);
    const rows = await query.orderBy("stream_id").execute();
    return rows.map((row) => ({
      roomId: row.room_id,
      type: row.type,
      content: JSON.parse(row.content) as Record<string, unknown>,
      streamId: Number(row.stream_id),
    }));
  }
}
