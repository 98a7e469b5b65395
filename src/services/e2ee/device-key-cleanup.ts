/**
 * What goes when devices are deleted or logged out (client-server API "Device management"): their
 * identity, one-time and fallback keys, the signatures on them and their pending to-device messages,
 * in the deleting transaction; everyone who shares a room with the user hears of the change.
 */
import type { CrossSigningStore } from "../../storage/cross-signing-store.js";
import type { Tx } from "../../storage/db.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import type { ToDeviceStore } from "../../storage/to-device-store.js";
import type { DevicesDeletedHook } from "../accounts/device-service.js";
import type { DeviceLists } from "./device-lists.js";
import type { KeyCountCache } from "./key-count-cache.js";

export function deviceKeyCleanup(keys: E2eKeyStore, keyCounts: KeyCountCache, crossSigning: CrossSigningStore, toDevice: ToDeviceStore, deviceLists: DeviceLists): DevicesDeletedHook {
  return async (tx: Tx, userId: string, deviceIds: readonly string[]) => {
    if (deviceIds.length === 0) return;
    keyCounts.changing(tx, userId, deviceIds);
    await keys.deleteDevices(tx.db, userId, deviceIds);
    await crossSigning.deleteSignaturesOn(tx.db, userId, deviceIds);
    await toDevice.deleteDevices(tx.db, userId, deviceIds);
    for (const deviceId of deviceIds) await deviceLists.recordChange(tx, userId, { deviceId, deleted: true });
  };
}
