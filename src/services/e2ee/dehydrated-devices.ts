/**
 * Dehydrated devices (MSC3814, unstable prefix `org.matrix.msc3814.v1`, as Synapse and Element): a
 * user keeps one extra device whose private keys the server holds only encrypted (`device_data`), so
 * that others can encrypt to it while none of the user's devices is online. A new login rehydrates it
 * and fetches the to-device messages it received. Not yet in the stable spec: behaviour follows
 * Synapse, including both forms of the events endpoint (the older POST with `next_batch` in the body,
 * and GET with `from`, whose answer omits `next_batch` once nothing is left).
 */
import { MatrixError } from "../../errors.js";
import { isAcceptableDeviceId } from "../../protocol/identifiers.js";
import { isJsonObject } from "../../protocol/json.js";
import type { Db } from "../../storage/db.js";
import type { DehydratedDeviceStore } from "../../storage/dehydrated-device-store.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { DevicesDeletedHook, DeviceService } from "../accounts/device-service.js";
import type { Clock } from "../clock.js";
import type { DeviceKeysService, UploadKeysBody } from "./device-keys-service.js";
import type { ToDeviceService } from "./to-device-service.js";

export interface PutDehydratedDeviceBody extends UploadKeysBody {
  device_id?: unknown;
  device_data?: unknown;
  initial_device_display_name?: unknown;
}

export interface DehydratedEvents {
  events: { sender: string; type: string; content: unknown }[];
  next_batch?: string;
}

export class DehydratedDeviceService {
  constructor(
    private readonly db: Db,
    private readonly store: DehydratedDeviceStore,
    private readonly devices: DeviceStore,
    private readonly deviceService: DeviceService,
    private readonly deviceKeys: DeviceKeysService,
    private readonly toDevice: ToDeviceService,
    private readonly clock: Clock,
  ) {}

  /** Forgets the dehydrated device when it is deleted like any other device. */
  cleanupHook(): DevicesDeletedHook {
    return (tx, userId, deviceIds) => this.store.deleteIfAmong(tx.db, userId, deviceIds);
  }

  async get(userId: string): Promise<{ device_id: string; device_data: unknown }> {
    const device = await this.store.get(userId);
    if (!device) throw new MatrixError(404, "M_NOT_FOUND", "No dehydrated device available");
    return { device_id: device.deviceId, device_data: JSON.parse(device.deviceData) as unknown };
  }

  /** PUT: replaces the user's dehydrated device (the old one and its keys and messages go) with the new one and its keys. */
  async put(userId: string, body: PutDehydratedDeviceBody): Promise<{ device_id: string }> {
    const deviceId = body.device_id;
    if (typeof deviceId !== "string" || !isAcceptableDeviceId(deviceId)) throw new MatrixError(400, "M_BAD_JSON", "device_id must be a device ID");
    const data = body.device_data;
    if (!isJsonObject(data) || typeof data["algorithm"] !== "string") throw new MatrixError(400, "M_BAD_JSON", "device_data must be an object with an algorithm");
    if (body.device_keys === undefined || body.device_keys === null) throw new MatrixError(400, "M_MISSING_PARAM", "device_keys must be provided");
    const name = body.initial_device_display_name;
    if (name !== undefined && name !== null && typeof name !== "string") throw new MatrixError(400, "M_BAD_JSON", "initial_device_display_name must be a string");

    await this.db.transaction(async (tx) => {
      const old = await this.store.get(userId, tx.db);
      if (old) await this.deviceService.deleteIn(tx, userId, [old.deviceId]);
      const clash = await this.devices.get(userId, deviceId, tx.db);
      if (clash) throw new MatrixError(400, "M_INVALID_PARAM", "A device with this ID already exists");
      await this.devices.upsert(tx.db, userId, deviceId, typeof name === "string" ? name : null, this.clock.now(), true);
      await this.store.put(tx.db, userId, { deviceId, deviceData: JSON.stringify(data) });
      await this.deviceKeys.storeKeys(tx, userId, deviceId, body);
    });
    return { device_id: deviceId };
  }

  async delete(userId: string): Promise<{ device_id: string }> {
    const deviceId = await this.db.transaction(async (tx) => {
      const device = await this.store.get(userId, tx.db);
      if (!device) throw new MatrixError(404, "M_NOT_FOUND", "No dehydrated device available");
      await this.deviceService.deleteIn(tx, userId, [device.deviceId]);
      return device.deviceId;
    });
    return { device_id: deviceId };
  }

  /**
   * The to-device messages of the dehydrated device after `from` (those up to `from` are deleted: the
   * client has them). `style` "get" omits next_batch when nothing is left; "post" always gives one.
   */
  async events(userId: string, deviceId: string, from: string | undefined, style: "get" | "post"): Promise<DehydratedEvents> {
    const device = await this.store.get(userId);
    if (!device || device.deviceId !== deviceId) throw new MatrixError(403, "M_FORBIDDEN", "You may only fetch messages for your dehydrated device");
    let after = 0;
    if (from !== undefined) {
      if (!/^\d{1,15}$/.test(from)) throw new MatrixError(400, "M_INVALID_PARAM", "from/next_batch is not a valid token");
      after = Number(from);
      // Rehydration pages through the queue once: delete what the client has now, not later.
      this.toDevice.acknowledge(userId, deviceId, after);
      await this.toDevice.flush();
    }
    const messages = await this.toDevice.pendingNow(userId, deviceId, after);
    const events = messages.map((m) => ({ sender: m.sender, type: m.type, content: JSON.parse(m.content) as unknown }));
    const last = messages[messages.length - 1];
    if (last) return { events, next_batch: String(last.streamId) };
    return style === "post" ? { events, next_batch: String(after) } : { events };
  }
}
