/**
 * Presence of local users (client-server API "Presence"). The live state of users who are online or
 * idle is kept here with one timer each (idle, no longer currently active, offline), and written to
 * the presence table with a new stream position whenever clients need to hear about it. Changes wake
 * the /sync long-polls of everyone who shares a room with the user.
 */
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Notifier } from "../../notifier/notifier.js";
import type { Db } from "../../storage/db.js";
import type { PresenceRow, PresenceStore } from "../../storage/presence-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Requester } from "../accounts/requester.js";
import type { Clock } from "../clock.js";
import * as machine from "./presence-state.js";
import type { PresenceState, PresenceTimeouts, UserPresence } from "./presence-state.js";

export interface PresenceOptions extends PresenceTimeouts {
  enabled: boolean;
  serverName: string;
}

/** What presence needs to know about rooms and users. */
export interface PresenceDirectory {
  membershipsOf(userId: string): Promise<readonly { roomId: string; membership: string }[]>;
  sharedRooms(userA: string, userB: string): Promise<string[]>;
}

export interface UserExistence {
  exists(userId: string): Promise<boolean>;
}

/** Hears of each stored change of a local user's presence once it is committed (for the m.presence EDU). */
export type PresenceAnnouncer = (userId: string, presence: UserPresence) => void;

interface Live extends UserPresence {
  timer?: NodeJS.Timeout;
  /** When `timer` fires. */
  timerAt?: number;
}

const APPLIED: Promise<void> = Promise.resolve();

export class PresenceService {
  private readonly live = new Map<string, Live>();
  private readonly queues = new Map<string, Promise<void>>();
  private closed = false;
  private announce: PresenceAnnouncer | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: PresenceStore,
    private readonly directory: PresenceDirectory,
    private readonly users: UserExistence,
    private readonly stream: StreamIdGenerator,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly options: PresenceOptions,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Wired by context.ts when presence goes to other servers. */
  setAnnouncer(announce: PresenceAnnouncer): void {
    this.announce = announce;
  }

  /**
   * Picks up users left online or idle by the previous run: nobody is syncing yet, so each goes
   * offline one offline timeout from now unless a client comes back.
   */
  async start(): Promise<void> {
    if (!this.options.enabled) return;
    const now = this.clock.now();
    for (const row of await this.store.notOffline()) {
      // Remote users' rows are kept by presence-federation.ts, which times them out on its own.
      if (!row.userId.endsWith(`:${this.options.serverName}`)) continue;
      const p: Live = { ...fromRow(row), syncing: 0, lastUserSyncTs: now };
      this.live.set(row.userId, p);
      this.schedule(row.userId, p);
    }
  }

  /** A /sync request starts (`set_presence` as given; omitted means online). */
  async syncStarted(requester: Requester, setPresence: string | undefined): Promise<void> {
    const requested = setPresence ?? "online";
    if (!this.options.enabled || (requested !== "online" && requested !== "unavailable")) return;
    await this.update(requester.userId, (p, now) => machine.syncStarted(p, requested, now));
  }

  /** The /sync request that syncStarted saw has been answered (or abandoned). */
  async syncEnded(requester: Requester, setPresence: string | undefined): Promise<void> {
    const requested = setPresence ?? "online";
    if (!this.options.enabled || (requested !== "online" && requested !== "unavailable")) return;
    await this.update(requester.userId, (p, now) => machine.syncEnded(p, now));
  }

  /** PUT /presence/{userId}/status. With presence disabled it is accepted and ignored (as Synapse). */
  async setPresence(requester: Requester, userId: string, state: PresenceState, statusMsg: string | undefined): Promise<void> {
    if (userId !== requester.userId) throw new MatrixError(403, "M_FORBIDDEN", "You cannot set another user's presence");
    if (!this.options.enabled) return;
    await this.update(userId, (p, now) => machine.explicitlySet(p, state, statusMsg ?? null, now), true);
  }

  /** GET /presence/{userId}/status: for the user themself and users who share a room with them. */
  async getPresence(requester: Requester, userId: string): Promise<Record<string, unknown>> {
    if (userId !== requester.userId) {
      if (userId.endsWith(`:${this.options.serverName}`) && !(await this.users.exists(userId))) {
        throw new MatrixError(404, "M_NOT_FOUND", "No presence for this user");
      }
      if ((await this.directory.sharedRooms(requester.userId, userId)).length === 0) {
        throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to see their presence");
      }
    }
    return machine.presenceContent(await this.current(userId), this.clock.now());
  }

  /** Marks the user active now (sending events, receipts, typing). */
  bumpActive(userId: string): void {
    if (!this.options.enabled || !userId.endsWith(`:${this.options.serverName}`)) return;
    void this.update(userId, (p, now) => machine.activity(p, now)).catch((error: unknown) => this.log.warn({ err: error, userId }, "presence update failed"));
  }

  /** The presence as shown now: live state where this process holds it, else the stored row. */
  overlay(row: PresenceRow): Pick<UserPresence, "state" | "statusMsg" | "lastActiveTs" | "currentlyActive"> {
    return this.live.get(row.userId) ?? fromRow(row);
  }

  private async current(userId: string): Promise<UserPresence> {
    const live = this.live.get(userId);
    if (live) return live;
    const row = await this.store.get(userId);
    return row ? { ...fromRow(row), syncing: 0 } : machine.offlinePresence();
  }

  /** Runs `change` on the user's presence, one change per user at a time, then stores and notifies. */
  private update(userId: string, change: (p: UserPresence, now: number) => void, force = false): Promise<void> {
    // Most updates are a sync starting or ending for a user online here, which nobody needs to hear
    // of: with nothing queued for the user, such a change is applied at once, without the queue's
    // promises (every woken long-poll makes two).
    if (!force && !this.closed && !this.queues.has(userId) && this.appliedQuietly(userId, change)) return APPLIED;
    const previous = this.queues.get(userId) ?? Promise.resolve();
    const next = previous.then(() => this.apply(userId, change, force));
    const tail = next.catch(() => undefined);
    this.queues.set(userId, tail);
    void tail.then(() => {
      if (this.queues.get(userId) === tail) this.queues.delete(userId);
    });
    return next;
  }

  /**
   * `change` applied to the user's live presence when that needs no write and no notification and
   * leaves them tracked here (false, changing nothing, otherwise): what `apply` would do then.
   */
  private appliedQuietly(userId: string, change: (p: UserPresence, now: number) => void): boolean {
    const live = this.live.get(userId);
    if (!live) return false;
    const next: Live = { ...live };
    this.advance(next, change);
    if (machine.worthNotifying(live, next) || (next.state === "offline" && next.syncing === 0)) return false;
    this.live.set(userId, next);
    this.schedule(userId, next);
    return true;
  }

  /** `change` made to `p` now, with the timeouts due before and after it. */
  private advance(p: UserPresence, change: (p: UserPresence, now: number) => void): void {
    const now = this.clock.now();
    machine.applyTimeouts(p, now, this.options);
    change(p, now);
    machine.applyTimeouts(p, now, this.options);
  }

  private async apply(userId: string, change: (p: UserPresence, now: number) => void, force: boolean): Promise<void> {
    if (this.closed) return;
    const p: Live = this.live.get(userId) ?? { ...(await this.current(userId)) };
    const before = { ...p };
    this.advance(p, change);
    if (force || machine.worthNotifying(before, p)) await this.persist(userId, p);
    if (p.state === "offline" && p.syncing === 0) {
      if (p.timer) clearTimeout(p.timer);
      this.live.delete(userId);
    } else {
      this.live.set(userId, p);
      this.schedule(userId, p);
    }
  }

  private async persist(userId: string, p: UserPresence): Promise<void> {
    if (this.closed) return;
    const rooms = (await this.directory.membershipsOf(userId)).filter((m) => m.membership === "join").map((m) => m.roomId);
    await this.db.transaction(async (tx) => {
      const streamId = this.stream.allocate(tx);
      await this.store.upsert(tx.db, {
        userId,
        state: p.state,
        statusMsg: p.statusMsg,
        lastActiveTs: p.lastActiveTs,
        lastUserSyncTs: p.lastUserSyncTs,
        currentlyActive: p.currentlyActive,
        streamId,
      });
      // Waking the user's rooms reaches everyone who may see this presence.
      tx.onCommit(() => this.notifier.notify({ stream: "presence", position: this.stream.current, userIds: [userId], roomIds: rooms }));
      const announced = { ...p };
      tx.onCommit(() => this.announce?.(userId, announced));
    });
  }

  private schedule(userId: string, p: Live): void {
    const deadline = this.closed ? undefined : machine.nextDeadline(p, this.options);
    // A timer due no later than the deadline is kept: when it fires, the update finds the deadline
    // moved and sets the next one. Every sync moves the offline deadline on; setting a new timer for
    // each cost more than the odd early wake-up.
    if (deadline !== undefined && p.timer !== undefined && p.timerAt !== undefined && p.timerAt <= deadline) return;
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    p.timerAt = undefined;
    if (deadline === undefined) return;
    const timer = setTimeout(() => {
      const live = this.live.get(userId);
      if (live?.timer === timer) {
        live.timer = undefined;
        live.timerAt = undefined;
      }
      void this.update(userId, () => undefined).catch((error: unknown) => this.log.warn({ err: error, userId }, "presence timeout failed"));
    }, Math.max(0, deadline - this.clock.now()) + 1);
    // Presence timers must never keep the process alive.
    timer.unref();
    p.timer = timer;
    p.timerAt = deadline;
  }

  /** Stops every timer (on shutdown); later updates are ignored. */
  close(): void {
    this.closed = true;
    for (const p of this.live.values()) if (p.timer) clearTimeout(p.timer);
    this.live.clear();
  }
}

function fromRow(row: PresenceRow): UserPresence {
  const state = (machine.PRESENCE_STATES as readonly string[]).includes(row.state) ? (row.state as PresenceState) : "offline";
  return {
    state,
    statusMsg: row.statusMsg,
    lastActiveTs: row.lastActiveTs,
    lastUserSyncTs: row.lastUserSyncTs,
    currentlyActive: row.currentlyActive,
    syncing: 0,
  };
}
