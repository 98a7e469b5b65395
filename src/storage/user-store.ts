/** Users and their profile fields. */
import type { Db, Executor } from "./db.js";
import type { UsersTable } from "./schema/accounts.js";

export interface UserRecord {
  userId: string;
  passwordHash: string | null;
  createdTs: number;
  isAdmin: boolean;
  isGuest: boolean;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean;
  shadowBanned: boolean;
  userType: string | null;
  appserviceId: string | null;
}

function toRecord(row: UsersTable): UserRecord {
  return {
    userId: row.user_id,
    passwordHash: row.password_hash,
    createdTs: Number(row.created_ts),
    isAdmin: !!row.is_admin,
    isGuest: !!row.is_guest,
    deactivated: !!row.deactivated,
    locked: !!row.locked,
    suspended: !!row.suspended,
    shadowBanned: !!row.shadow_banned,
    userType: row.user_type,
    appserviceId: row.appservice_id,
  };
}

export interface NewUser {
  userId: string;
  passwordHash: string | null;
  isAdmin?: boolean;
  isGuest?: boolean;
  userType?: string | null;
  appserviceId?: string | null;
}

export class UserStore {
  constructor(private readonly db: Db) {}

  async get(userId: string, executor: Executor = this.db.kysely): Promise<UserRecord | undefined> {
    const row = await executor.selectFrom("users").selectAll().where("user_id", "=", userId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Case-insensitive lookup, for logins typed with other capitalisation (as Synapse allows). */
  async findCaseInsensitive(userId: string): Promise<UserRecord[]> {
    const rows = await this.db.kysely
      .selectFrom("users")
      .selectAll()
      .where((eb) => eb(eb.fn("lower", ["user_id"]), "=", userId.toLowerCase()))
      .execute();
    return rows.map(toRecord);
  }

  async exists(userId: string): Promise<boolean> {
    const row = await this.db.kysely.selectFrom("users").select("user_id").where("user_id", "=", userId).executeTakeFirst();
    return row !== undefined;
  }

  /** Inserts a user; false if the ID is taken. */
  async insert(executor: Executor, user: NewUser, now: number): Promise<boolean> {
    const result = await executor
      .insertInto("users")
      .values({
        user_id: user.userId,
        password_hash: user.passwordHash,
        created_ts: now,
        is_admin: user.isAdmin ? 1 : 0,
        is_guest: user.isGuest ? 1 : 0,
        deactivated: 0,
        locked: 0,
        suspended: 0,
        shadow_banned: 0,
        user_type: user.userType ?? null,
        appservice_id: user.appserviceId ?? null,
      })
      .onConflict((oc) => oc.column("user_id").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setPasswordHash(executor: Executor, userId: string, hash: string | null): Promise<void> {
    await executor.updateTable("users").set({ password_hash: hash }).where("user_id", "=", userId).execute();
  }

  async update(
    executor: Executor,
    userId: string,
    changes: Partial<Pick<UsersTable, "is_admin" | "deactivated" | "locked" | "suspended" | "shadow_banned" | "is_guest" | "user_type">>,
  ): Promise<void> {
    await executor.updateTable("users").set(changes).where("user_id", "=", userId).execute();
  }

  async countUsers(): Promise<number> {
    const row = await this.db.kysely.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Profile fields as JSON values (displayname, avatar_url, m.tz, custom keys). */
  async getProfile(userId: string, executor: Executor = this.db.kysely): Promise<Record<string, unknown>> {
    const rows = await executor.selectFrom("profile_fields").select(["field", "value"]).where("user_id", "=", userId).execute();
    const profile: Record<string, unknown> = {};
    for (const row of rows) profile[row.field] = JSON.parse(row.value) as unknown;
    return profile;
  }

  async setProfileField(executor: Executor, userId: string, field: string, value: unknown): Promise<void> {
    if (value === null || value === undefined) {
      await executor.deleteFrom("profile_fields").where("user_id", "=", userId).where("field", "=", field).execute();
      return;
    }
    await executor
      .insertInto("profile_fields")
      .values({ user_id: userId, field, value: JSON.stringify(value) })
      .onConflict((oc) => oc.columns(["user_id", "field"]).doUpdateSet({ value: JSON.stringify(value) }))
      .execute();
  }

  async clearProfile(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom("profile_fields").where("user_id", "=", userId).execute();
  }

  async findUserByThreepid(medium: string, address: string): Promise<string | undefined> {
    const row = await this.db.kysely
      .selectFrom("user_threepids")
      .select("user_id")
      .where("medium", "=", medium)
      .where("address", "=", address)
      .executeTakeFirst();
    return row?.user_id;
  }

  async listThreepids(userId: string): Promise<{ medium: string; address: string; validated_at: number; added_at: number }[]> {
    const rows = await this.db.kysely.selectFrom("user_threepids").selectAll().where("user_id", "=", userId).orderBy("added_ts").execute();
    return rows.map((row) => ({ medium: row.medium, address: row.address, validated_at: Number(row.validated_ts), added_at: Number(row.added_ts) }));
  }

  async addThreepid(executor: Executor, userId: string, medium: string, address: string, now: number): Promise<void> {
    await executor
      .insertInto("user_threepids")
      .values({ medium, address, user_id: userId, validated_ts: now, added_ts: now })
      .onConflict((oc) => oc.columns(["medium", "address"]).doUpdateSet({ user_id: userId, validated_ts: now }))
      .execute();
  }

  async deleteThreepid(executor: Executor, userId: string, medium: string, address: string): Promise<boolean> {
    const result = await executor
      .deleteFrom("user_threepids")
      .where("user_id", "=", userId)
      .where("medium", "=", medium)
      .where("address", "=", address)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteAllThreepids(executor: Executor, userId: string): Promise<void> {
    await executor.deleteFrom("user_threepids").where("user_id", "=", userId).execute();
  }
}
