/** Devices of users. */
import type { Db, Executor } from "./db.js";
import type { DevicesTable } from "./schema/accounts.js";

export interface DeviceRecord {
  userId: string;
  deviceId: string;
  displayName: string | null;
  createdTs: number;
  lastSeenTs: number | null;
  lastSeenIp: string | null;
  lastSeenUserAgent: string | null;
  hidden: boolean;
}

function toDevice(row: DevicesTable): DeviceRecord {
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    displayName: row.display_name,
    createdTs: Number(row.created_ts),
    lastSeenTs: row.last_seen_ts === null ? null : Number(row.last_seen_ts),
    lastSeenIp: row.last_seen_ip,
    lastSeenUserAgent: row.last_seen_user_agent,
    hidden: !!row.hidden,
  };
}

export class DeviceStore {
  constructor(private readonly db: Db) {}

  async list(userId: string, options: { includeHidden?: boolean } = {}, executor: Executor = this.db.kysely): Promise<DeviceRecord[]> {
    let query = executor.selectFrom("devices").selectAll().where("user_id", "=", userId);
    if (!options.includeHidden) query = query.where("hidden", "=", 0);
    const rows = await query.orderBy("device_id").execute();
    return rows.map(toDevice);
  }

  async get(userId: string, deviceId: string, executor: Executor = this.db.kysely): Promise<DeviceRecord | undefined> {
    const row = await executor
      .selectFrom("devices")
      .selectAll()
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .executeTakeFirst();
    return row ? toDevice(row) : undefined;
  }

  /** Creates the device, or keeps the existing one (logging in again with the same device ID). */
  async upsert(executor: Executor, userId: string, deviceId: string, displayName: string | null, now: number, hidden = false): Promise<boolean> {
    const result = await executor
      .insertInto("devices")
      .values({
        user_id: userId,
        device_id: deviceId,
        display_name: displayName,
        created_ts: now,
        last_seen_ts: null,
        last_seen_ip: null,
        last_seen_user_agent: null,
        hidden: hidden ? 1 : 0,
      })
      .onConflict((oc) => oc.columns(["user_id", "device_id"]).doNothing())
      .executeTakeFirst();
    const created = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    if (!created && displayName !== null) await this.rename(executor, userId, deviceId, displayName);
    return created;
  }

  async rename(executor: Executor, userId: string, deviceId: string, displayName: string | null): Promise<void> {
    await executor
      .updateTable("devices")
      .set({ display_name: displayName })
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .execute();
  }

  async delete(executor: Executor, userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await executor.deleteFrom("devices").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
  }

  async deleteAll(executor: Executor, userId: string): Promise<string[]> {
    const rows = await executor.deleteFrom("devices").where("user_id", "=", userId).returning("device_id").execute();
    return rows.map((row) => row.device_id);
  }

  async touch(userId: string, deviceId: string, ip: string, userAgent: string | undefined, now: number): Promise<void> {
    await this.db.kysely
      .updateTable("devices")
      .set({ last_seen_ts: now, last_seen_ip: ip, last_seen_user_agent: userAgent ?? null })
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .execute();
  }
}
