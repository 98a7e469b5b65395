/**
 * Our users' device and cross-signing changes, told to the other servers that share a room with them
 * (server-server API "Device Management" and "End-to-End Encryption"): an `m.device_list_update` per
 * device change — its keys, or `deleted` — with the user's previous and new positions as `prev_id` and
 * `stream_id`, and an `m.signing_key_update` when the cross-signing keys change. The EDUs go into the
 * outbox in the transaction that made the change.
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { CrossSigningStore } from "../../storage/cross-signing-store.js";
import type { Tx } from "../../storage/db.js";
import type { DeviceListStore } from "../../storage/device-list-store.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { E2eKeyStore } from "../../storage/e2e-key-store.js";
import type { ChangeAnnouncer, ChangeDetail } from "./device-lists.js";

export interface EduQueue {
  queueEdu(tx: Tx, destination: string, edu: { edu_type: string; content: JsonObject }): Promise<void>;
}

export class DeviceListAnnouncer implements ChangeAnnouncer {
  constructor(
    private readonly lists: DeviceListStore,
    private readonly keys: E2eKeyStore,
    private readonly devices: DeviceStore,
    private readonly crossSigning: CrossSigningStore,
    private readonly outbox: EduQueue,
    private readonly serverName: string,
  ) {}

  async announce(tx: Tx, userId: string, change: ChangeDetail, position: number, previous: number): Promise<void> {
    if (!userId.endsWith(`:${this.serverName}`)) return; // remote users' changes came from their own server
    const servers = await this.lists.remoteServersSharingWith(tx.db, userId);
    if (servers.length === 0) return;
    const edu = change.deviceId !== undefined ? await this.deviceUpdate(tx, userId, change.deviceId, change.deleted ?? false, position, previous) : await this.signingKeyUpdate(tx, userId);
    if (!edu) return;
    for (const server of servers) await this.outbox.queueEdu(tx, server, edu);
  }

  private async deviceUpdate(tx: Tx, userId: string, deviceId: string, deleted: boolean, position: number, previous: number): Promise<{ edu_type: string; content: JsonObject }> {
    const content: JsonObject = { user_id: userId, device_id: deviceId, stream_id: position, prev_id: previous > 0 ? [previous] : [] };
    if (deleted) content["deleted"] = true;
    else {
      const json = await this.keys.deviceKeys(userId, deviceId, tx.db);
      if (json !== undefined) content["keys"] = JSON.parse(json) as JsonObject;
      const device = await this.devices.get(userId, deviceId, tx.db);
      if (device?.displayName) content["device_display_name"] = device.displayName;
    }
    return { edu_type: "m.device_list_update", content };
  }

  private async signingKeyUpdate(tx: Tx, userId: string): Promise<{ edu_type: string; content: JsonObject } | undefined> {
    const content: JsonObject = { user_id: userId };
    for (const key of await this.crossSigning.keysOf([userId], tx.db)) {
      const parsed: unknown = JSON.parse(key.json);
      if (!isJsonObject(parsed)) continue;
      // The user-signing key is private to its owner; other servers get the master and self-signing keys.
      if (key.type === "master") content["master_key"] = parsed;
      else if (key.type === "self_signing") content["self_signing_key"] = parsed;
    }
    return Object.keys(content).length > 1 ? { edu_type: "m.signing_key_update", content } : undefined;
  }
}
