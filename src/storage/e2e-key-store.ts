/**
 * Device identity keys, one-time keys and fallback keys (client-server API "End-to-End Encryption",
 * key management). Keys are kept as the JSON text the device uploaded; claims remove one-time keys
 * so that each is handed out at most once, even to concurrent claims.
 */
import { sql } from "./kysely.js";
import type { Db, Executor } from "./db.js";
import { StatementsByCount } from "./statement.js";

/** What /sync reports of a device's keys. */
export interface KeySyncSummary {
  counts: Record<string, number>;
  unusedFallback: string[];
}

const DEVICES_PER_SUMMARY = 100;
const keySummaries = new StatementsByCount<{ user_id: string; device_id: string; kind: string; algorithm: string; n: number | string }>(
  (n) =>
    `WITH wanted (user_id, device_id) AS (VALUES ${new Array(n).fill("(CAST(? AS TEXT), CAST(? AS TEXT))").join(", ")})
     SELECT k.user_id, k.device_id, 'otk' AS kind, k.algorithm, COUNT(*) AS n
     FROM wanted w CROSS JOIN e2e_one_time_keys k
     WHERE k.user_id = w.user_id AND k.device_id = w.device_id
     GROUP BY k.user_id, k.device_id, k.algorithm
     UNION ALL
     SELECT f.user_id, f.device_id, 'fallback' AS kind, f.algorithm, 0 AS n
     FROM wanted w CROSS JOIN e2e_fallback_keys f
     WHERE f.user_id = w.user_id AND f.device_id = w.device_id AND f.used = 0`,
);

const deviceKey = (userId: string, deviceId: string): string => `${userId} ${deviceId}`;

export interface UploadedKey {
  algorithm: string;
  keyId: string;
  /** The key as uploaded: a string (unsigned curve25519) or a signed object, as JSON text. */
  json: string;
}

export interface StoredDeviceKeys {
  json: string;
  displayName: string | null;
}

export interface KeyWanted {
  userId: string;
  deviceId: string;
  algorithm: string;
}

/** The map key of a claim's (user, device, algorithm). */
export function wantedKey(userId: string, deviceId: string, algorithm: string): string {
  return `${userId}\u0000${deviceId}\u0000${algorithm}`;
}

export interface ClaimedKey {
  /** `algorithm:key_id`. */
  fullKeyId: string;
  json: string;
}

export class E2eKeyStore {
  constructor(private readonly db: Db) {}

  /** The device keys JSON of one device, or undefined if it never uploaded any. */
  async deviceKeys(userId: string, deviceId: string, executor: Executor = this.db.kysely): Promise<string | undefined> {
    const row = await executor.selectFrom("e2e_device_keys").select("key_json").where("user_id", "=", userId).where("device_id", "=", deviceId).executeTakeFirst();
    return row?.key_json;
  }

  /** Device keys of the given users' devices with their display names, as user -> device -> keys. */
  async deviceKeysOf(userIds: readonly string[], executor: Executor = this.db.kysely): Promise<Map<string, Map<string, StoredDeviceKeys>>> {
    const out = new Map<string, Map<string, StoredDeviceKeys>>();
    if (userIds.length === 0) return out;
    const rows = await executor
      .selectFrom("e2e_device_keys as k")
      .innerJoin("devices as d", (join) => join.onRef("d.user_id", "=", "k.user_id").onRef("d.device_id", "=", "k.device_id"))
      .select(["k.user_id", "k.device_id", "k.key_json", "d.display_name"])
      .where("k.user_id", "in", userIds)
      .execute();
    for (const row of rows) {
      let devices = out.get(row.user_id);
      if (!devices) out.set(row.user_id, (devices = new Map()));
      devices.set(row.device_id, { json: row.key_json, displayName: row.display_name });
    }
    return out;
  }

  async putDeviceKeys(executor: Executor, userId: string, deviceId: string, json: string): Promise<void> {
    await executor
      .insertInto("e2e_device_keys")
      .values({ user_id: userId, device_id: deviceId, key_json: json })
      .onConflict((oc) => oc.columns(["user_id", "device_id"]).doUpdateSet({ key_json: json }))
      .execute();
  }

  /** The stored JSON of the device's one-time keys with these `algorithm:key_id`s (to detect re-uploads). */
  async existingOneTimeKeys(executor: Executor, userId: string, deviceId: string, keys: readonly UploadedKey[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (keys.length === 0) return out;
    const rows = await executor
      .selectFrom("e2e_one_time_keys")
      .select(["algorithm", "key_id", "key_json"])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("key_id", "in", [...new Set(keys.map((k) => k.keyId))])
      .execute();
    for (const row of rows) out.set(`${row.algorithm}:${row.key_id}`, row.key_json);
    return out;
  }

  async addOneTimeKeys(executor: Executor, userId: string, deviceId: string, keys: readonly UploadedKey[]): Promise<void> {
    if (keys.length === 0) return;
    await executor
      .insertInto("e2e_one_time_keys")
      .values(keys.map((k) => ({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: k.json })))
      .onConflict((oc) => oc.columns(["user_id", "device_id", "algorithm", "key_id"]).doNothing())
      .execute();
  }

  /** Unclaimed one-time keys of a device per algorithm. */
  async oneTimeKeyCounts(userId: string, deviceId: string, executor: Executor = this.db.kysely): Promise<Record<string, number>> {
    const rows = await executor
      .selectFrom("e2e_one_time_keys")
      .select(["algorithm", (eb) => eb.fn.countAll<number | string>().as("n")])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .groupBy("algorithm")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.algorithm, Number(r.n)]));
  }

  /**
   * What /sync reports of each device's keys, for many devices in one statement (the members one message
   * wakes): unclaimed one-time keys per algorithm and the algorithms of its unused fallback keys. The
   * answer has an entry for every device asked, in order.
   */
  async syncSummaries(devices: readonly { userId: string; deviceId: string }[]): Promise<KeySyncSummary[]> {
    const found = new Map<string, KeySyncSummary>();
    // A device asked twice (two syncs of it woken together) must be read once, not joined twice.
    const distinct = [...new Map(devices.map((d) => [deviceKey(d.userId, d.deviceId), d])).values()];
    for (const d of distinct) found.set(deviceKey(d.userId, d.deviceId), { counts: {}, unusedFallback: [] });
    for (let i = 0; i < distinct.length; i += DEVICES_PER_SUMMARY) {
      const chunk = distinct.slice(i, i + DEVICES_PER_SUMMARY);
      const rows = await keySummaries.of(chunk.length).all(this.db.dialect, this.db.kysely, chunk.flatMap((d) => [d.userId, d.deviceId]));
      for (const row of rows) {
        const summary = found.get(deviceKey(row.user_id, row.device_id)) as KeySyncSummary;
        if (row.kind === "otk") summary.counts[row.algorithm] = Number(row.n);
        else summary.unusedFallback.push(row.algorithm);
      }
    }
    for (const summary of found.values()) summary.unusedFallback.sort();
    // A device asked twice gets the same summary twice: the summaries are read, never changed.
    return devices.map((d) => found.get(deviceKey(d.userId, d.deviceId)) as KeySyncSummary);
  }

  /** Replaces the device's fallback key of an algorithm (a new key starts unused). */
  async putFallbackKey(executor: Executor, userId: string, deviceId: string, key: UploadedKey): Promise<void> {
    await executor
      .insertInto("e2e_fallback_keys")
      .values({ user_id: userId, device_id: deviceId, algorithm: key.algorithm, key_id: key.keyId, key_json: key.json, used: 0 })
      .onConflict((oc) =>
        oc.columns(["user_id", "device_id", "algorithm"]).doUpdateSet((eb) => ({
          key_id: key.keyId,
          key_json: key.json,
          // Uploading the same key again does not make a used key unused (as Synapse).
          used: sql<number>`CASE WHEN ${eb.ref("e2e_fallback_keys.key_id")} = ${key.keyId} AND ${eb.ref("e2e_fallback_keys.key_json")} = ${key.json} THEN ${eb.ref("e2e_fallback_keys.used")} ELSE 0 END`,
        })),
      )
      .execute();
  }

  /**
   * Removes and returns the oldest one-time key of each wanted (user, device, algorithm), in one
   * statement per batch. On PostgreSQL concurrent claims skip a row another claim holds (FOR UPDATE
   * SKIP LOCKED) rather than handing it out twice; SQLite runs one write transaction at a time.
   */
  async claimOneTimeKeys(executor: Executor, wanted: readonly KeyWanted[]): Promise<Map<string, ClaimedKey>> {
    const out = new Map<string, ClaimedKey>();
    for (let i = 0; i < wanted.length; i += 300) {
      const batch = wanted.slice(i, i + 300);
      const values = sql.join(batch.map((w) => sql`(${w.userId}, ${w.deviceId}, ${w.algorithm})`));
      const oldest =
        this.db.dialect === "postgres"
          ? sql`SELECT k.id FROM (VALUES ${values}) AS w(u, d, a) CROSS JOIN LATERAL (
              SELECT id FROM e2e_one_time_keys WHERE user_id = w.u AND device_id = w.d AND algorithm = w.a
              ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) AS k`
          : // One index probe per wanted device (a window over all their keys would read every key).
            sql`SELECT (SELECT k.id FROM e2e_one_time_keys AS k
              WHERE k.user_id = w.column1 AND k.device_id = w.column2 AND k.algorithm = w.column3
              ORDER BY k.id LIMIT 1) FROM (VALUES ${values}) AS w`;
      const result = await sql<{ user_id: string; device_id: string; algorithm: string; key_id: string; key_json: string }>`
        DELETE FROM e2e_one_time_keys WHERE id IN (${oldest}) RETURNING user_id, device_id, algorithm, key_id, key_json`.execute(executor);
      for (const row of result.rows) out.set(wantedKey(row.user_id, row.device_id, row.algorithm), { fullKeyId: `${row.algorithm}:${row.key_id}`, json: row.key_json });
    }
    return out;
  }

  /** The device's fallback key of an algorithm, marked used. */
  async claimFallbackKey(executor: Executor, userId: string, deviceId: string, algorithm: string): Promise<ClaimedKey | undefined> {
    const rows = await executor
      .updateTable("e2e_fallback_keys")
      .set({ used: 1 })
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("algorithm", "=", algorithm)
      .returning(["key_id", "key_json"])
      .execute();
    const row = rows[0];
    return row ? { fullKeyId: `${algorithm}:${row.key_id}`, json: row.key_json } : undefined;
  }

  /** Removes every key of the given devices (device deleted or logged out). */
  async deleteDevices(executor: Executor, userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await executor.deleteFrom("e2e_device_keys").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
    await executor.deleteFrom("e2e_one_time_keys").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
    await executor.deleteFrom("e2e_fallback_keys").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
  }
}
