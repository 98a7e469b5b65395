/**
 * Devices: listing, renaming and deleting (with their tokens). Other areas (end-to-end keys, to-device
 * messages, pushers) register hooks that run inside the same transaction when devices go away.
 */
import { MatrixError } from "../../errors.js";
import type { Db, Tx } from "../../storage/db.js";
import type { DeviceRecord, DeviceStore } from "../../storage/device-store.js";
import type { AuthService } from "./auth-service.js";

export type DevicesDeletedHook = (tx: Tx, userId: string, deviceIds: readonly string[]) => Promise<void>;
/** Runs in the renaming transaction (display names are part of what others see of a user's devices). */
export type DeviceRenamedHook = (tx: Tx, userId: string, deviceId: string) => Promise<void>;

export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

export function toClientDevice(device: DeviceRecord): ClientDevice {
  return {
    device_id: device.deviceId,
    ...(device.displayName !== null ? { display_name: device.displayName } : {}),
    ...(device.lastSeenIp !== null ? { last_seen_ip: device.lastSeenIp } : {}),
    ...(device.lastSeenTs !== null ? { last_seen_ts: device.lastSeenTs } : {}),
  };
}

export class DeviceService {
  private readonly deletedHooks: DevicesDeletedHook[] = [];
  private readonly renamedHooks: DeviceRenamedHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly devices: DeviceStore,
    private readonly auth: AuthService,
  ) {}

  onDevicesDeleted(hook: DevicesDeletedHook): void {
    this.deletedHooks.push(hook);
  }

  onDeviceRenamed(hook: DeviceRenamedHook): void {
    this.renamedHooks.push(hook);
  }

  async list(userId: string): Promise<ClientDevice[]> {
    return (await this.devices.list(userId)).map(toClientDevice);
  }

  async get(userId: string, deviceId: string): Promise<ClientDevice> {
    const device = await this.devices.get(userId, deviceId);
    if (!device || device.hidden) throw new MatrixError(404, "M_NOT_FOUND", "Device not found");
    return toClientDevice(device);
  }

  async rename(userId: string, deviceId: string, displayName: string | null): Promise<void> {
    const device = await this.devices.get(userId, deviceId);
    if (!device) throw new MatrixError(404, "M_NOT_FOUND", "Device not found");
    if (displayName !== null && Buffer.byteLength(displayName) > 1000) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Device display name is too long");
    }
    if (displayName === device.displayName) return;
    await this.db.transaction(async (tx) => {
      await this.devices.rename(tx.db, userId, deviceId, displayName);
      for (const hook of this.renamedHooks) await hook(tx, userId, deviceId);
    });
  }

  /** Deletes devices, their tokens, and whatever the hooks attach to them, in one transaction. */
  async delete(userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.db.transaction(async (tx) => this.deleteIn(tx, userId, deviceIds));
  }

  async deleteIn(tx: Tx, userId: string, deviceIds: readonly string[]): Promise<void> {
    await this.auth.revokeDevices(tx, userId, deviceIds);
    await this.devices.delete(tx.db, userId, deviceIds);
    for (const hook of this.deletedHooks) await hook(tx, userId, deviceIds);
  }

  async deleteAllIn(tx: Tx, userId: string, options: { except?: string } = {}): Promise<void> {
    const all = (await this.devices.list(userId, { includeHidden: true }, tx.db)).map((d) => d.deviceId).filter((id) => id !== options.except);
    await this.deleteIn(tx, userId, all);
  }
}
