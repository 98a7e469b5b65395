/** User-interactive authentication sessions and registration tokens. */
import type { Db, Executor } from "./db.js";
import type { RegistrationTokensTable } from "./schema/accounts.js";

export interface UiaSessionRecord {
  sessionId: string;
  createdTs: number;
  userId: string | null;
  requestFingerprint: string;
  completedStages: string[];
  clientDict: Record<string, unknown>;
  results: Record<string, unknown>;
}

export interface RegistrationTokenRecord {
  token: string;
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTs: number | null;
}

function toTokenRecord(row: RegistrationTokensTable): RegistrationTokenRecord {
  return {
    token: row.token,
    usesAllowed: row.uses_allowed === null ? null : Number(row.uses_allowed),
    pending: Number(row.pending),
    completed: Number(row.completed),
    expiryTs: row.expiry_ts === null ? null : Number(row.expiry_ts),
  };
}

export class UiaStore {
  constructor(private readonly db: Db) {}

  async create(session: UiaSessionRecord): Promise<void> {
    await this.db.kysely
      .insertInto("uia_sessions")
      .values({
        session_id: session.sessionId,
        created_ts: session.createdTs,
        user_id: session.userId,
        request_fingerprint: session.requestFingerprint,
        completed_stages: JSON.stringify(session.completedStages),
        client_dict: JSON.stringify(session.clientDict),
        results: JSON.stringify(session.results),
      })
      .execute();
  }

  async get(sessionId: string): Promise<UiaSessionRecord | undefined> {
    const row = await this.db.kysely.selectFrom("uia_sessions").selectAll().where("session_id", "=", sessionId).executeTakeFirst();
    if (!row) return undefined;
    return {
      sessionId: row.session_id,
      createdTs: Number(row.created_ts),
      userId: row.user_id,
      requestFingerprint: row.request_fingerprint,
      completedStages: JSON.parse(row.completed_stages) as string[],
      clientDict: JSON.parse(row.client_dict) as Record<string, unknown>,
      results: JSON.parse(row.results) as Record<string, unknown>,
    };
  }

  async update(sessionId: string, completedStages: string[], results: Record<string, unknown>): Promise<void> {
    await this.db.kysely
      .updateTable("uia_sessions")
      .set({ completed_stages: JSON.stringify(completedStages), results: JSON.stringify(results) })
      .where("session_id", "=", sessionId)
      .execute();
  }

  async delete(sessionId: string, executor: Executor = this.db.kysely): Promise<void> {
    await executor.deleteFrom("uia_sessions").where("session_id", "=", sessionId).execute();
  }

  async deleteOlderThan(ts: number): Promise<void> {
    await this.db.kysely.deleteFrom("uia_sessions").where("created_ts", "<", ts).execute();
  }

  async getRegistrationToken(token: string, executor: Executor = this.db.kysely): Promise<RegistrationTokenRecord | undefined> {
    const row = await executor.selectFrom("registration_tokens").selectAll().where("token", "=", token).executeTakeFirst();
    return row ? toTokenRecord(row) : undefined;
  }

  async listRegistrationTokens(): Promise<RegistrationTokenRecord[]> {
    const rows = await this.db.kysely.selectFrom("registration_tokens").selectAll().orderBy("token").execute();
    return rows.map(toTokenRecord);
  }

  async createRegistrationToken(token: string, usesAllowed: number | null, expiryTs: number | null): Promise<boolean> {
    const result = await this.db.kysely
      .insertInto("registration_tokens")
      .values({ token, uses_allowed: usesAllowed, pending: 0, completed: 0, expiry_ts: expiryTs })
      .onConflict((oc) => oc.column("token").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteRegistrationToken(token: string): Promise<boolean> {
    const result = await this.db.kysely.deleteFrom("registration_tokens").where("token", "=", token).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Reserves one use of a token for a registration in progress, if it is valid now: pending + completed
   * must stay within uses_allowed. Done in one conditional UPDATE so concurrent registrations cannot
   * overspend it.
   */
  async reserveRegistrationToken(token: string, now: number): Promise<boolean> {
    const result = await this.db.kysely
      .updateTable("registration_tokens")
      .set((eb) => ({ pending: eb("pending", "+", 1) }))
      .where("token", "=", token)
      .where((eb) => eb.or([eb("expiry_ts", "is", null), eb("expiry_ts", ">", now)]))
      .where((eb) => eb.or([eb("uses_allowed", "is", null), eb(eb("pending", "+", eb.ref("completed")), "<", eb.ref("uses_allowed"))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Turns a reservation into a completed use (the account was created). */
  async completeRegistrationToken(executor: Executor, token: string): Promise<void> {
    await executor
      .updateTable("registration_tokens")
      .set((eb) => ({ pending: eb("pending", "-", 1), completed: eb("completed", "+", 1) }))
      .where("token", "=", token)
      .execute();
  }
}
