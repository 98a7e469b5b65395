/**
 * Send-to-device messaging (client-server API "Send-to-Device messaging"): PUT /sendToDevice queues a
 * message per target device (`*` for all of a user's devices) with transaction-ID idempotency; /sync
 * delivers each device's queue in order, at most 100 at a time, and deletes messages once the device
 * syncs with a token past them, so a message is delivered until acknowledged and never after.
 */
import { MatrixError } from "../../errors.js";
import { randomBytes } from "node:crypto";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { isValidUserId } from "../../protocol/identifiers.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db, Tx } from "../../storage/db.js";
import type { DeviceStore } from "../../storage/device-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { QueuedMessage, ToDeviceRow, ToDeviceStore } from "../../storage/to-device-store.js";
import type { Clock } from "../clock.js";
import type { Requester } from "../accounts/requester.js";
import { lruCache } from "../../lru.js";

/** How long acknowledgements are collected before their messages are deleted together. */
const ACK_FLUSH_DELAY_MS = 250;

/** Messages delivered per /sync response (as Synapse); the rest follow in the next ones. */
export const TO_DEVICE_BATCH = 100;

/**
 * One message's content may not exceed the size of an event (65 536 bytes): it has to fit in a
 * federation transaction's EDU for remote devices, and no client sends larger ones.
 */
const MAX_MESSAGE_BYTES = 65_536;

interface Target {
  userId: string;
  deviceId: string;
  /** JSON text of the content. */
  content: string;
}

/** Queues EDUs for other servers (the federation sender). */
export interface RemoteToDevice {
  queueEdu(tx: Tx, destination: string, edu: { edu_type: string; content: JsonObject }): Promise<void>;
}

function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

/** Checks `messages` (user -> device or `*` -> content object) with the spec's errors. */
function checkMessages(messages: unknown): Target[] {
  if (!isJsonObject(messages)) throw new MatrixError(400, "M_BAD_JSON", "messages must be an object");
  const targets: Target[] = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (!isValidUserId(userId)) throw new MatrixError(400, "M_INVALID_PARAM", `${userId} is not a valid user ID`);
    if (!isJsonObject(byDevice)) throw new MatrixError(400, "M_BAD_JSON", `messages.${userId} must be an object`);
    for (const [deviceId, content] of Object.entries(byDevice)) {
      if (!isJsonObject(content)) throw new MatrixError(400, "M_BAD_JSON", `The message for ${userId} ${deviceId} must be an object`);
      const json = JSON.stringify(content);
      if (Buffer.byteLength(json) > MAX_MESSAGE_BYTES) throw new MatrixError(413, "M_TOO_LARGE", `The message for ${userId} ${deviceId} is too large`);
      targets.push({ userId, deviceId, content: json });
    }
  }
  return targets;
}

export class ToDeviceService {
  private federation: RemoteToDevice | undefined;
  /** The position up to which each recently syncing device's messages are known to be deleted (this process). */
  private readonly acknowledged = lruCache<string, number>(100_000);
  private readonly pendingAcks = new Map<string, { userId: string; deviceId: string; upTo: number }>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: ToDeviceStore,
    private readonly devices: DeviceStore,
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly serverName: string,
  ) {}

  /** Wired by context.ts once the federation sender exists: messages to remote users go through it. */
  setFederation(federation: RemoteToDevice): void {
    this.federation = federation;
  }

  /** PUT /sendToDevice/{eventType}/{txnId}. */
  async send(requester: Requester, type: string, txnId: string, messages: unknown): Promise<void> {
    const targets = checkMessages(messages);
    const senderDevice = requester.deviceId ?? `token:${requester.tokenId}`;
    await this.db.transaction(async (tx) => {
      if (!(await this.store.claimTxnId(tx.db, requester.userId, senderDevice, txnId, this.clock.now()))) return;
      await this.deliverLocally(tx, requester.userId, type, targets.filter((t) => serverOf(t.userId) === this.serverName));
      const remote = new Map<string, Record<string, Record<string, JsonObject>>>();
      for (const target of targets) {
        const server = serverOf(target.userId);
        if (server === this.serverName) continue;
        let users = remote.get(server);
        if (!users) remote.set(server, (users = {}));
        (users[target.userId] ??= {})[target.deviceId] = JSON.parse(target.content) as JsonObject;
      }
      // One m.direct_to_device EDU per destination server, queued in this transaction.
      for (const [server, users] of remote) {
        if (!this.federation) continue;
        const content = { sender: requester.userId, type, message_id: randomBytes(12).toString("hex"), messages: users };
        await this.federation.queueEdu(tx, server, { edu_type: "m.direct_to_device", content });
      }
    });
  }

  /**
   * An `m.direct_to_device` EDU from `origin`: its messages for our users, once per message_id (a
   * transaction retried by the origin delivers nothing twice). A sender of another server is refused.
   */
  async receiveRemote(origin: string, content: JsonObject): Promise<void> {
    const { sender, type, message_id: messageId, messages } = content;
    if (typeof sender !== "string" || typeof type !== "string" || typeof messageId !== "string") throw new Error("malformed m.direct_to_device");
    if (!isValidUserId(sender) || serverOf(sender) !== origin) throw new Error("the sender is not a user of the origin");
    const targets = checkMessages(messages).filter((t) => serverOf(t.userId) === this.serverName);
    await this.db.transaction(async (tx) => {
      if (!(await this.store.claimTxnId(tx.db, sender, `remote:${origin}`, messageId, this.clock.now()))) return;
      await this.deliverLocally(tx, sender, type, targets);
    });
  }

  /** Queues messages for local users' devices (`*`: all of them) in `tx`; wakes their syncs once it commits. */
  private async deliverLocally(tx: Tx, sender: string, type: string, targets: readonly Target[]): Promise<void> {
    const rows: ToDeviceRow[] = [];
    const recipients = new Set<string>();
    const devicesOf = new Map<string, Set<string>>();
    for (const target of targets) {
      let existing = devicesOf.get(target.userId);
      if (!existing) {
        existing = new Set((await this.devices.list(target.userId, { includeHidden: true }, tx.db)).map((d) => d.deviceId));
        devicesOf.set(target.userId, existing);
      }
      // Messages to devices that do not exist are dropped (as Synapse): no one would ever read them.
      const deviceIds = target.deviceId === "*" ? [...existing] : existing.has(target.deviceId) ? [target.deviceId] : [];
      for (const deviceId of deviceIds) {
        rows.push({ streamId: this.stream.allocate(tx), userId: target.userId, deviceId, sender, type, content: target.content });
        recipients.add(target.userId);
      }
    }
    await this.store.enqueue(tx.db, rows);
    if (rows.length > 0) tx.onCommit(() => this.notifier.notify({ stream: "to_device", position: this.stream.current, userIds: [...recipients] }));
  }

  /**
   * The messages for a device after position `after` up to `upTo`, at most TO_DEVICE_BATCH, and the
   * position a client that received them has reached (the last one's when more remain).
   */
  async pending(userId: string, deviceId: string, after: number, upTo: number): Promise<{ messages: QueuedMessage[]; reached: number }> {
    if (after >= upTo) return { messages: [], reached: upTo };
    const messages = await this.store.pending(userId, deviceId, after, upTo, TO_DEVICE_BATCH);
    const last = messages[messages.length - 1];
    return { messages, reached: messages.length === TO_DEVICE_BATCH && last ? last.streamId : upTo };
  }

  /** A device's messages after `after` up to what is committed now (a dehydrated device's queue). */
  async pendingNow(userId: string, deviceId: string, after: number): Promise<QueuedMessage[]> {
    return (await this.pending(userId, deviceId, after, this.stream.current)).messages;
  }

  /**
   * The device synced with a token at `position`: everything up to it was received. Deleting is only
   * clean-up (deliveries read after the token's position, never before), so acknowledgements are
   * collected and deleted together shortly after, off the /sync path.
   */
  acknowledge(userId: string, deviceId: string, position: number): void {
    // A long-poll re-syncs from the same token many times: once acknowledged here, nothing more to do.
    const key = `${userId}\u0000${deviceId}`;
    if ((this.acknowledged.get(key) ?? -1) >= position) return;
    this.acknowledged.set(key, position);
    const queued = this.pendingAcks.get(key);
    this.pendingAcks.set(key, { userId, deviceId, upTo: Math.max(position, queued?.upTo ?? 0) });
    this.flushTimer ??= setTimeout(() => void this.flush(), ACK_FLUSH_DELAY_MS).unref();
  }

  /** How far a device acknowledged (in this process): an initial sync does not hand out again what awaits deletion. */
  acknowledgedUpTo(userId: string, deviceId: string): number {
    return this.acknowledged.get(`${userId}\u0000${deviceId}`) ?? 0;
  }

  /** Deletes the acknowledged messages now (also on shutdown). A failure keeps them for the next flush. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const acks = [...this.pendingAcks.values()];
    this.pendingAcks.clear();
    try {
      await this.store.acknowledge(acks);
    } catch {
      for (const ack of acks) this.acknowledged.delete(`${ack.userId}\u0000${ack.deviceId}`);
    }
  }
}
