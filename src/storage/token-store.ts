/** Access, refresh, login and OpenID tokens. Tokens are stored as SHA-256 hashes. */
import type { Db, Executor } from "./db.js";

export interface AccessTokenRecord {
  id: number;
  userId: string;
  deviceId: string | null;
  validUntilTs: number | null;
  refreshTokenId: number | null;
  used: boolean;
  puppetsUserId: string | null;
}

export interface RefreshTokenRecord {
  id: number;
  userId: string;
  deviceId: string;
  expiryTs: number | null;
  nextTokenId: number | null;
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  async insertAccessToken(
    executor: Executor,
    token: { hash: string; userId: string; deviceId: string | null; validUntilTs: number | null; refreshTokenId: number | null; puppetsUserId?: string | null },
    now: number,
  ): Promise<number> {
    const row = await executor
      .insertInto("access_tokens")
      .values({
        token_hash: token.hash,
        user_id: token.userId,
        device_id: token.deviceId,
        created_ts: now,
        valid_until_ts: token.validUntilTs,
        refresh_token_id: token.refreshTokenId,
        used: 0,
        puppets_user_id: token.puppetsUserId ?? null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async findAccessToken(hash: string): Promise<AccessTokenRecord | undefined> {
    const row = await this.db.kysely.selectFrom("access_tokens").selectAll().where("token_hash", "=", hash).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: Number(row.id),
      userId: row.user_id,
      deviceId: row.device_id,
      validUntilTs: row.valid_until_ts === null ? null : Number(row.valid_until_ts),
      refreshTokenId: row.refresh_token_id === null ? null : Number(row.refresh_token_id),
      used: !!row.used,
      puppetsUserId: row.puppets_user_id,
    };
  }

  async markAccessTokenUsedIn(executor: Executor, id: number): Promise<void> {
    await executor.updateTable("access_tokens").set({ used: 1 }).where("id", "=", id).execute();
  }

  async deleteAccessToken(executor: Executor, id: number): Promise<void> {
    await executor.deleteFrom("access_tokens").where("id", "=", id).execute();
  }

  /** Deletes the tokens of some devices (or of all devices but `except`); returns the deleted token IDs. */
  async deleteTokensOfDevices(
    executor: Executor,
    userId: string,
    selection: { deviceIds?: readonly string[]; exceptTokenId?: number },
  ): Promise<number[]> {
    let query = executor.deleteFrom("access_tokens").where("user_id", "=", userId);
    if (selection.deviceIds) {
      if (selection.deviceIds.length === 0) return [];
      query = query.where("device_id", "in", selection.deviceIds);
    }
    if (selection.exceptTokenId !== undefined) query = query.where("id", "!=", selection.exceptTokenId);
    const rows = await query.returning("id").execute();
    let refresh = executor.deleteFrom("refresh_tokens").where("user_id", "=", userId);
    if (selection.deviceIds) refresh = refresh.where("device_id", "in", selection.deviceIds);
    await refresh.execute();
    return rows.map((row) => Number(row.id));
  }

  async insertRefreshToken(
    executor: Executor,
    token: { hash: string; userId: string; deviceId: string; expiryTs: number | null },
    now: number,
  ): Promise<number> {
    const row = await executor
      .insertInto("refresh_tokens")
      .values({ token_hash: token.hash, user_id: token.userId, device_id: token.deviceId, created_ts: now, expiry_ts: token.expiryTs, next_token_id: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async findRefreshToken(executor: Executor, hash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await executor.selectFrom("refresh_tokens").selectAll().where("token_hash", "=", hash).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: Number(row.id),
      userId: row.user_id,
      deviceId: row.device_id,
      expiryTs: row.expiry_ts === null ? null : Number(row.expiry_ts),
      nextTokenId: row.next_token_id === null ? null : Number(row.next_token_id),
    };
  }

  async setNextRefreshToken(executor: Executor, id: number, nextId: number): Promise<void> {
    await executor.updateTable("refresh_tokens").set({ next_token_id: nextId }).where("id", "=", id).execute();
  }

  /**
   * Once a client uses the access token minted by a refresh, the refresh token that minted it and the
   * access tokens that refresh token issued before are retired (refresh-token rotation).
   */
  async retireRefreshedPredecessors(executor: Executor, refreshTokenId: number): Promise<number[]> {
    const predecessors = await executor.selectFrom("refresh_tokens").select("id").where("next_token_id", "=", refreshTokenId).execute();
    const ids = predecessors.map((row) => Number(row.id));
    if (ids.length === 0) return [];
    const deleted = await executor.deleteFrom("access_tokens").where("refresh_token_id", "in", ids).returning("id").execute();
    await executor.deleteFrom("refresh_tokens").where("id", "in", ids).execute();
    return deleted.map((row) => Number(row.id));
  }

  async deleteRefreshToken(executor: Executor, id: number): Promise<void> {
    await executor.deleteFrom("refresh_tokens").where("id", "=", id).execute();
  }

  async insertLoginToken(hash: string, userId: string, expiryTs: number): Promise<void> {
    await this.db.kysely.insertInto("login_tokens").values({ token_hash: hash, user_id: userId, expiry_ts: expiryTs, used_ts: null }).execute();
  }

  /** Consumes a login token once: returns its user if it was valid and unused. */
  async consumeLoginToken(hash: string, now: number): Promise<string | undefined> {
    const row = await this.db.kysely
      .updateTable("login_tokens")
      .set({ used_ts: now })
      .where("token_hash", "=", hash)
      .where("used_ts", "is", null)
      .where("expiry_ts", ">", now)
      .returning("user_id")
      .executeTakeFirst();
    return row?.user_id;
  }

  async insertOpenIdToken(token: string, userId: string, expiryTs: number): Promise<void> {
    await this.db.kysely.insertInto("openid_tokens").values({ token, user_id: userId, expiry_ts: expiryTs }).execute();
  }

  async findOpenIdToken(token: string, now: number): Promise<string | undefined> {
    const row = await this.db.kysely
      .selectFrom("openid_tokens")
      .select("user_id")
      .where("token", "=", token)
      .where("expiry_ts", ">", now)
      .executeTakeFirst();
    return row?.user_id;
  }
}
