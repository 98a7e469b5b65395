/**
 * The end-to-end encryption parts of /sync ("Extensions to /sync" of the E2EE module and
 * "Send-to-Device messaging"): the device's to-device messages (acknowledging those the token covers),
 * `device_lists` on incremental syncs, the device's one-time key counts and unused fallback key types.
 */
import type { SyncContext, SyncContributor, SyncResponse } from "../sync/sync-types.js";
import type { KeySyncSummary } from "../../storage/e2e-key-store.js";
import type { DeviceKeysService } from "./device-keys-service.js";
import type { DeviceLists } from "./device-lists.js";
import type { ToDeviceService } from "./to-device-service.js";


export class E2eeSync implements SyncContributor {
  /** The device's key counts, read while the rooms are computed. */
  private readonly summaries = new WeakMap<SyncContext, Promise<Readonly<KeySyncSummary>>>();

  constructor(
    private readonly toDevice: ToDeviceService,
    private readonly deviceLists: DeviceLists,
    private readonly deviceKeys: DeviceKeysService,
  ) {}

  begin(context: SyncContext): void {
    const { userId, deviceId } = context.requester;
    if (deviceId === undefined) return;
    const summary = this.deviceKeys.syncSummary(userId, deviceId);
    // Awaited in global(); a computation that fails before it must not leave a rejection unhandled.
    summary.catch(() => undefined);
    this.summaries.set(context, summary);
  }

  async global(context: SyncContext, response: SyncResponse): Promise<void> {
    const { userId, deviceId } = context.requester;
    const since = context.since;
    if (since && (since.device_lists < context.now.device_lists || since.events < context.now.events)) {
      response.device_lists = await this.deviceLists.changes(userId, context.memberships, since, context.now);
    }
    if (deviceId === undefined) return;

    const after = since?.to_device ?? this.toDevice.acknowledgedUpTo(userId, deviceId);
    if (since) this.toDevice.acknowledge(userId, deviceId, since.to_device);
    const { messages, reached } = await this.toDevice.pending(userId, deviceId, after, context.now.to_device);
    if (reached < context.now.to_device) context.heldBack.to_device = reached;
    for (const m of messages) response.to_device.events.push({ sender: m.sender, type: m.type, content: JSON.parse(m.content) as unknown });

    const { counts, unusedFallback } = await (this.summaries.get(context) ?? this.deviceKeys.syncSummary(userId, deviceId));
    // Synapse always reports signed_curve25519, 0 included: clients that see no count at all may never upload keys.
    response.device_one_time_keys_count = { signed_curve25519: 0, ...counts };
    response.device_unused_fallback_key_types = unusedFallback;
  }
}
