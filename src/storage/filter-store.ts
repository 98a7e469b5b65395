/** Filters uploaded by clients (POST /user/{userId}/filter), numbered per user. */
import type { Db } from "./db.js";

export class FilterStore {
  constructor(private readonly db: Db) {}

  async create(userId: string, json: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const row = await tx.db
        .selectFrom("filters")
        .select((eb) => eb.fn.max("filter_id").as("max"))
        .where("user_id", "=", userId)
        .executeTakeFirst();
      const id = Number(row?.max ?? -1) + 1;
      await tx.db.insertInto("filters").values({ user_id: userId, filter_id: id, json }).execute();
      return id;
    });
  }

  async get(userId: string, filterId: number): Promise<string | undefined> {
    const row = await this.db.kysely
      .selectFrom("filters")
      .select("json")
      .where("user_id", "=", userId)
      .where("filter_id", "=", filterId)
      .executeTakeFirst();
    return row?.json;
  }
}
