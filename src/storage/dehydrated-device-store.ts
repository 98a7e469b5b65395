/** Dehydrated devices (MSC3814): at most one per user, its ID and its opaque device data. */
import type { Db, Executor } from "./db.js";

export interface DehydratedDevice {
  deviceId: string;
  /** JSON text of the device data the client uploaded. */
  deviceData: string;
}

export class DehydratedDeviceStore {
  constructor(private readonly db: Db) {}

  async get(userId: string, executor: Executor = this.db.kysely): Promise<DehydratedDevice | undefined> {
    const row = await executor.selectFrom("dehydrated_devices").select(["device_id", "device_data"]).where("user_id", "=", userId).executeTakeFirst();
    return row ? { deviceId: row.device_id, deviceData: row.device_data } : undefined;
  }

  async put(executor: Executor, userId: string, device: DehydratedDevice): Promise<void> {
    await executor
      .insertInto("dehydrated_devices")
      .values({ user_id: userId, device_id: device.deviceId, device_data: device.deviceData })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ device_id: device.deviceId, device_data: device.deviceData }))
      .execute();
  }

  /** Forgets the user's dehydrated device if it is one of `deviceIds` (deleted devices). */
  async deleteIfAmong(executor: Executor, userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await executor.deleteFrom("dehydrated_devices").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
  }
}
