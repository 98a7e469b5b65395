/**
 * Presence between servers (server-server API "Presence", the `m.presence` EDU). Out: changes of our
 * users' presence, gathered for a moment and sent as one EDU per server that shares a room with
 * them. In: the presence of the sending server's own users who are joined to a room we know, stored
 * in the presence table with a new stream position so that local users who share a room with them
 * see it in /sync and at GET /presence/{userId}/status.
 */
import type { Logger } from "../../logger.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { domainOfId } from "../../protocol/identifiers.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db, Tx } from "../../storage/db.js";
import type { PresenceRow, PresenceStore } from "../../storage/presence-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Clock } from "../clock.js";
import type { PresenceDirectory } from "./presence-service.js";
import { PRESENCE_STATES, type PresenceState, type UserPresence } from "./presence-state.js";

/** Where presence EDUs go: the other servers of a room (its ACL applied) and the outbox. */
export interface PresenceRouting {
  destinations(roomId: string): Promise<string[]>;
  queueEdu(tx: Tx, destination: string, edu: { edu_type: string; content: JsonObject }): Promise<void>;
}

/** How long changes are gathered before they are sent: several users changing at once make one EDU. */
const BATCH_MS = 100;

/**
 * A remote user without an update for this long is taken to be offline: their server may be down
 * and will not tell us. The spec is silent; Synapse waits 30 minutes.
 */
export const REMOTE_PRESENCE_TIMEOUT_MS = 30 * 60_000;

/** How often remote users are checked against that timeout. */
const SWEEP_INTERVAL_MS = 60_000;

/** Most updates taken from one EDU. */
const MAX_PUSH_PER_EDU = 1_000;

export class PresenceFederation {
  private readonly pending = new Map<string, UserPresence>();
  private flushTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly store: PresenceStore,
    private readonly directory: PresenceDirectory,
    private readonly routing: PresenceRouting,
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly serverName: string,
    private readonly log: Logger,
  ) {}

  /** Starts the sweep that turns silent remote users offline (also those left online by a previous run). */
  start(): void {
    this.sweepTimer = setInterval(() => {
      void this.sweep().catch((error: unknown) => this.log.warn({ err: error }, "remote presence sweep failed"));
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** A local user's presence changed (the PresenceService announcer): sent with the next batch. */
  announce(userId: string, presence: UserPresence): void {
    if (this.closed) return;
    this.pending.set(userId, { ...presence });
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch((error: unknown) => this.log.warn({ err: error }, "presence EDUs not queued"));
    }, BATCH_MS);
    this.flushTimer.unref();
  }

  /** Queues one `m.presence` EDU per interested server with the updates gathered since the last flush. */
  async flush(): Promise<void> {
    const batch = [...this.pending];
    this.pending.clear();
    if (batch.length === 0) return;
    const now = this.clock.now();
    const byServer = new Map<string, JsonObject[]>();
    for (const [userId, presence] of batch) {
      const push = pushOf(userId, presence, now);
      for (const server of await this.serversSharingRoomWith(userId)) {
        const list = byServer.get(server) ?? [];
        list.push(push);
        byServer.set(server, list);
      }
    }
    if (byServer.size === 0) return;
    await this.db.transaction(async (tx) => {
      for (const [server, push] of byServer) await this.routing.queueEdu(tx, server, { edu_type: "m.presence", content: { push } });
    });
  }

  /**
   * A server's user joined a room with some of our users: it has heard none of their presence yet, so
   * it gets their current presence (those not offline) in one EDU, as Synapse does.
   */
  async greet(server: string, localUserIds: readonly string[]): Promise<void> {
    if (this.closed || server === this.serverName) return;
    const now = this.clock.now();
    const push: JsonObject[] = [];
    for (const userId of localUserIds.slice(0, MAX_PUSH_PER_EDU)) {
      const row = await this.store.get(userId);
      if (!row || row.state === "offline" || !PRESENCE_STATES.includes(row.state as PresenceState)) continue;
      push.push(pushOf(userId, { state: row.state as PresenceState, statusMsg: row.statusMsg, lastActiveTs: row.lastActiveTs, lastUserSyncTs: row.lastUserSyncTs, currentlyActive: row.currentlyActive, syncing: 0 }, now));
    }
    if (push.length === 0) return;
    await this.db.transaction((tx) => this.routing.queueEdu(tx, server, { edu_type: "m.presence", content: { push } }));
  }

  /** An `m.presence` EDU from `origin`: updates of its users are stored, anything else is skipped. */
  async receive(origin: string, content: JsonObject): Promise<void> {
    const push = content["push"];
    if (!Array.isArray(push)) throw new Error("malformed m.presence");
    for (const update of push.slice(0, MAX_PUSH_PER_EDU)) {
      const parsed = parseUpdate(update);
      if (!parsed || domainOfId(parsed.userId) !== origin || origin === this.serverName) continue;
      await this.storeRemote(parsed);
    }
  }

  /** Stops the timers (on shutdown); later changes are not sent. */
  close(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  private async serversSharingRoomWith(userId: string): Promise<Set<string>> {
    const servers = new Set<string>();
    for (const membership of await this.directory.membershipsOf(userId)) {
      if (membership.membership !== "join") continue;
      for (const server of await this.routing.destinations(membership.roomId)) servers.add(server);
    }
    return servers;
  }

  private async storeRemote(update: RemoteUpdate): Promise<void> {
    const rooms = (await this.directory.membershipsOf(update.userId)).filter((m) => m.membership === "join").map((m) => m.roomId);
    // Only users in a room with us: nobody here could see anyone else's presence.
    if (rooms.length === 0) return;
    const now = this.clock.now();
    const previous = await this.store.get(update.userId);
    const changed = !previous || previous.state !== update.state || previous.statusMsg !== update.statusMsg || previous.currentlyActive !== update.currentlyActive;
    const row: Omit<PresenceRow, "streamId"> = {
      userId: update.userId,
      state: update.state,
      statusMsg: update.statusMsg,
      lastActiveTs: now - update.lastActiveAgo,
      // For remote users: when their server last told us, which the offline timeout counts from.
      lastUserSyncTs: now,
      currentlyActive: update.currentlyActive,
    };
    await this.write(row, changed ? undefined : previous?.streamId, rooms);
  }

  /** Writes a row; with a new stream position (and a wake-up of the user's rooms) unless `keepStreamId` is given. */
  private async write(row: Omit<PresenceRow, "streamId">, keepStreamId: number | undefined, rooms: readonly string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const streamId = keepStreamId ?? this.stream.allocate(tx);
      await this.store.upsert(tx.db, { ...row, streamId });
      if (keepStreamId !== undefined) return; // only the timeout clock moved: nothing for clients
      tx.onCommit(() => this.notifier.notify({ stream: "presence", position: this.stream.current, userIds: [row.userId], roomIds: [...rooms] }));
    });
  }

  /** Remote users not heard of for REMOTE_PRESENCE_TIMEOUT_MS become offline. */
  private async sweep(): Promise<void> {
    const cutoff = this.clock.now() - REMOTE_PRESENCE_TIMEOUT_MS;
    for (const row of await this.store.notOffline()) {
      if (this.closed) return;
      if (domainOfId(row.userId) === this.serverName || row.lastUserSyncTs > cutoff) continue;
      const rooms = (await this.directory.membershipsOf(row.userId)).filter((m) => m.membership === "join").map((m) => m.roomId);
      await this.write({ ...row, state: "offline", currentlyActive: false }, undefined, rooms);
    }
  }
}

interface RemoteUpdate {
  userId: string;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveAgo: number;
  currentlyActive: boolean;
}

/** One entry of `push`, or undefined when it is not a presence update we can use. */
function parseUpdate(update: unknown): RemoteUpdate | undefined {
  if (!isJsonObject(update)) return undefined;
  const { user_id: userId, presence, status_msg: statusMsg, last_active_ago: ago, currently_active: active } = update;
  if (typeof userId !== "string" || !userId.startsWith("@")) return undefined;
  if (typeof presence !== "string" || !(PRESENCE_STATES as readonly string[]).includes(presence)) return undefined;
  return {
    userId,
    state: presence as PresenceState,
    statusMsg: typeof statusMsg === "string" ? statusMsg : null,
    // Required by the schema; a missing or odd value counts as "just now", as Synapse's default of 0.
    lastActiveAgo: typeof ago === "number" && Number.isSafeInteger(ago) && ago >= 0 ? ago : 0,
    // "Defaults to false" (schema).
    currentlyActive: active === true,
  };
}

/** The `push` entry for a local user's presence as it is at `now`. */
function pushOf(userId: string, presence: UserPresence, now: number): JsonObject {
  return {
    user_id: userId,
    presence: presence.state,
    ...(presence.statusMsg !== null ? { status_msg: presence.statusMsg } : {}),
    last_active_ago: Math.max(0, now - presence.lastActiveTs),
    currently_active: presence.state === "online" && presence.currentlyActive,
  };
}
