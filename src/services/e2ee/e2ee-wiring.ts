/**
 * End-to-end encryption wired in one place (context.ts hands over config and shared parts): device
 * keys, device lists, to-device messages and cross-signing; what /sync reports of them; the keys and
 * messages that go with deleted devices; dehydrated devices; server-side key backups.
 */
import type { Config } from "../../config/schema.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { CrossSigningStore } from "../../storage/cross-signing-store.js";
import type { Db } from "../../storage/db.js";
import type { DehydratedDeviceStore } from "../../storage/dehydrated-device-store.js";
import type { DeviceListStore } from "../../storage/device-list-store.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import { KeyBackupStore } from "../../storage/key-backup-store.js";
import type { RoomStore } from "../../storage/room-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { ToDeviceStore } from "../../storage/to-device-store.js";
import type { AccountService } from "../accounts/account-service.js";
import type { DeviceService } from "../accounts/device-service.js";
import type { Clock } from "../clock.js";
import type { SyncService } from "../sync/sync-service.js";
import type { PositionMemo } from "../sync/position-memo.js";
import { CrossSigningService } from "./cross-signing-service.js";
import { DehydratedDeviceService } from "./dehydrated-devices.js";
import { deviceKeyCleanup } from "./device-key-cleanup.js";
import { DeviceKeysService } from "./device-keys-service.js";
import { DeviceLists } from "./device-lists.js";
import { E2eeSync } from "./e2ee-sync.js";
import { KeyBackupService } from "./key-backup-service.js";
import { KeyQueryService } from "./key-query.js";
import { ToDeviceService } from "./to-device-service.js";

export interface E2eeDeps {
  config: Config;
  db: Db;
  stores: {
    e2eKeys: E2eKeyStore;
    crossSigning: CrossSigningStore;
    deviceLists: DeviceListStore;
    toDevice: ToDeviceStore;
    dehydratedDevices: DehydratedDeviceStore;
    devices: DeviceStore;
    rooms: RoomStore;
  };
  streams: { device_lists: StreamIdGenerator; to_device: StreamIdGenerator };
  notifier: Notifier;
  clock: Clock;
  sync: SyncService;
  /** Reads shared among the syncs at one events position. */
  syncMemo: PositionMemo;
  devices: DeviceService;
  accounts: AccountService;
}

export interface E2ee {
  deviceLists: DeviceLists;
  deviceKeys: DeviceKeysService;
  keyQuery: KeyQueryService;
  crossSigning: CrossSigningService;
  toDevice: ToDeviceService;
  dehydratedDevices: DehydratedDeviceService;
  keyBackup: KeyBackupService;
}

export function wireE2ee(deps: E2eeDeps): E2ee {
  const { config, db, stores, streams, notifier, clock, devices, accounts } = deps;
  const deviceLists = new DeviceLists(db, stores.deviceLists, stores.rooms, streams.device_lists, notifier, deps.syncMemo);
  const deviceKeys = new DeviceKeysService(db, stores.e2eKeys, deviceLists, config.server_name);
  const keyQuery = new KeyQueryService(stores.e2eKeys, stores.crossSigning, (userId) => stores.deviceLists.latestChangeOf(userId), config.server_name);
  const crossSigning = new CrossSigningService(db, stores.crossSigning, stores.e2eKeys, stores.devices, deviceLists);
  const toDevice = new ToDeviceService(db, stores.toDevice, stores.devices, streams.to_device, notifier, clock, config.server_name);
  deps.sync.addContributor(new E2eeSync(toDevice, deviceLists, deviceKeys));
  devices.onDevicesDeleted(deviceKeyCleanup(stores.e2eKeys, deviceKeys.keyCounts, stores.crossSigning, stores.toDevice, deviceLists));
  // Others show a device's display name from /keys/query: a rename is a device-list change (as Synapse).
  devices.onDeviceRenamed((tx, userId, deviceId) => deviceLists.recordChange(tx, userId, { deviceId }));
  const dehydratedDevices = new DehydratedDeviceService(db, stores.dehydratedDevices, stores.devices, devices, deviceKeys, toDevice, clock);
  devices.onDevicesDeleted(dehydratedDevices.cleanupHook());
  // A deactivated account's cross-signing identity goes with it (its devices went through the hook above).
  accounts.onDeactivated((tx, userId) => stores.crossSigning.deleteUser(tx.db, userId));
  const keyBackup = new KeyBackupService(db, new KeyBackupStore());
  accounts.onDeactivated(keyBackup.deactivationHook());
  return { deviceLists, deviceKeys, keyQuery, crossSigning, toDevice, dehydratedDevices, keyBackup };
}
