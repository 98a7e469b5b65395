/**
 * Delivery to HTTP pushers, decoupled from sending messages: nothing happens on the send path beyond
 * the push actions the evaluation hook writes in the event's transaction. After the commit, the
 * notifier's position wakes this sender, which reads, in one query, the notifications of users with
 * pushers since the last position it saw and hands them to their pushers' loops (pusher-worker.ts);
 * read receipts wake them for a badge update. Positions move in memory and are written in one transaction a second (and on close), so a
 * busy pusher costs no write per notification; a crash re-sends at most that second, which gateways
 * drop as duplicates by event_id (Push Gateway API). After a restart every pusher resumes from its
 * stored position.
 */
import type { Logger } from "../../logger.js";
import type { Notification, Notifier } from "../../notifier/notifier.js";
import type { Db } from "../../storage/db.js";
import type { PusherRecord, PusherStore } from "../../storage/pusher-store.js";
import type { Clock } from "../clock.js";
import type { BadgeCounter } from "./pusher-badge.js";
import type { EventFactsReader } from "./pusher-event-facts.js";
import { PushGate } from "./pusher-gate.js";
import type { PushGatewayClient } from "./pusher-gateway.js";
import { PusherWorker, type PusherSenderOptions, type WorkerContext } from "./pusher-worker.js";

const FLUSH_INTERVAL_MS = 1_000;
/** Most notifications one scan hands over. */
const SCAN_LIMIT = 20_000;
/**
 * Preparations running at once (pusher-gate.ts): one on SQLite, whose queries run on this thread, so
 * that a request waits for at most one between its own steps; several on PostgreSQL, where they mostly
 * wait for the database's answers.
 */
const GATE_LIMIT = { sqlite: 1, postgres: 2 } as const;

/** Scans one stream for users whose pushers have something to do, one scan at a time. */
class StreamScan {
  private seen: number;
  private running = false;

  constructor(
    start: number,
    private readonly current: () => number,
    private readonly scan: (after: number, upTo: number) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.seen = start;
  }

  /** Nothing to look for up to now (nobody has a pusher). */
  skip(): void {
    if (!this.running) this.seen = this.current();
  }

  poke(): void {
    if (this.running) return; // the running scan loops until it has reached the current position
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.current() > this.seen) {
        const upTo = this.current();
        try {
          await this.scan(this.seen, upTo);
        } catch (error) {
          this.log.warn({ error: (error as Error).message }, "push scan failed");
        }
        this.seen = upTo;
      }
    } finally {
      // In the same turn as the last check, so that no poke falls between the two.
      this.running = false;
    }
  }
}

export class PusherSender {
  private readonly workers = new Map<number, PusherWorker>();
  private readonly byUser = new Map<string, Set<PusherWorker>>();
  private readonly gate: PushGate;
  private readonly context: WorkerContext;
  private flushTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private reloads: Promise<void> = Promise.resolve();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly store: PusherStore,
    private readonly notifier: Notifier,
    gateway: PushGatewayClient,
    badges: BadgeCounter,
    facts: EventFactsReader,
    clock: Clock,
    private readonly log: Logger,
    options: PusherSenderOptions,
  ) {
    this.gate = new PushGate(GATE_LIMIT[db.dialect]);
    this.context = {
      store,
      gate: this.gate,
      gateway,
      badges,
      facts,
      clock,
      log,
      options,
      position: () => notifier.position("events"),
      rejected: (worker) => void this.remove(worker),
    };
  }

  /** Loads every HTTP pusher and resumes those with notifications waiting. */
  async start(): Promise<void> {
    this.started = true;
    for (const record of await this.store.allOfKind("http")) this.add(record);
    const events = new StreamScan(this.notifier.position("events"), () => this.notifier.position("events"), (after, upTo) => this.scanEvents(after, upTo), this.log);
    const receipts = new StreamScan(this.notifier.position("receipts"), () => this.notifier.position("receipts"), (after, upTo) => this.scanReceipts(after, upTo), this.log);
    this.unsubscribe = this.notifier.onNotification((notification: Notification) => {
      const scan = notification.stream === "events" ? events : notification.stream === "receipts" ? receipts : undefined;
      // Nobody has a pusher: nothing to ask the database.
      if (this.workers.size === 0) scan?.skip();
      else scan?.poke();
    });
    this.flushTimer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
    for (const worker of this.workers.values()) worker.wake();
  }

  /** Stops every loop and writes the positions reached (close the gateway client after: requests in flight). */
  async close(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.flushTimer);
    for (const worker of this.workers.values()) worker.stop();
    await this.reloads;
    await this.flush();
  }

  /** The users' pushers changed (set, deleted): follow the database. */
  reload(userIds: readonly string[]): void {
    if (!this.started) return; // delivery is off in this process (push.enabled)
    this.reloads = this.reloads.then(async () => {
      for (const userId of userIds) {
        try {
          await this.reloadUser(userId);
        } catch (error) {
          this.log.warn({ userId, error: (error as Error).message }, "reloading pushers failed");
        }
      }
    });
  }

  /** Writes the positions that moved, in one transaction. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const progress = [...this.workers.values()].map((w) => w.takeProgress()).filter((p) => p !== undefined);
      if (progress.length === 0) return;
      try {
        await this.db.transaction(async (tx) => {
          for (const p of progress) await this.store.advance(tx.db, p.id, p.position, p.successTs);
        });
      } catch (error) {
        this.log.warn({ error: (error as Error).message }, "saving pusher positions failed");
      }
    });
    return this.flushing;
  }

  private async reloadUser(userId: string): Promise<void> {
    const records = await this.store.ofUser(userId, "http");
    const ids = new Set(records.map((r) => r.id));
    for (const worker of this.byUser.get(userId) ?? []) {
      if (!ids.has(worker.record.id)) this.drop(worker);
    }
    for (const record of records) {
      const worker = this.workers.get(record.id);
      if (worker) worker.update(record);
      else this.add(record).wake();
    }
  }

  private add(record: PusherRecord): PusherWorker {
    const worker = new PusherWorker(record, this.context);
    this.workers.set(record.id, worker);
    let set = this.byUser.get(record.userId);
    if (!set) this.byUser.set(record.userId, (set = new Set()));
    set.add(worker);
    return worker;
  }

  private drop(worker: PusherWorker): void {
    worker.stop();
    this.workers.delete(worker.record.id);
    const set = this.byUser.get(worker.record.userId);
    set?.delete(worker);
    if (set?.size === 0) this.byUser.delete(worker.record.userId);
  }

  /** The gateway rejected the pushkey: the pusher goes (Push Gateway API `rejected`). */
  private async remove(worker: PusherWorker): Promise<void> {
    this.drop(worker);
    try {
      await this.store.deleteById(worker.record.id);
    } catch (error) {
      this.log.warn({ pusher: worker.record.id, error: (error as Error).message }, "removing a rejected pusher failed");
    }
  }

  /**
   * Hands each idle pusher its user's new notifications, so that it need not read them itself. A busy
   * pusher (sending, or waiting on a slow gateway) is only told how far it must look: it reads its
   * queue from the database once it is free, so that a slow gateway costs no query per message sent.
   */
  private async scanEvents(after: number, upTo: number): Promise<void> {
    const idle = new Map<string, PusherWorker[]>();
    for (const [userId, workers] of this.byUser) {
      for (const worker of workers) {
        if (!worker.idle) worker.missed(upTo);
        else {
          const list = idle.get(userId);
          if (list) list.push(worker);
          else idle.set(userId, [worker]);
        }
      }
    }
    if (idle.size === 0) return;
    const found = await this.gate.run(() => this.store.notifiedAmong([...idle.keys()], after, upTo, SCAN_LIMIT));
    for (const [userId, workers] of idle) {
      const pushes = found?.get(userId);
      // Too many to hand over (a long stretch scanned at once): the pusher reads its own.
      if (!found) for (const worker of workers) worker.wake();
      else if (pushes) for (const worker of workers) worker.offer(after, upTo, pushes);
      else for (const worker of workers) worker.nothingUpTo(after, upTo);
    }
  }

  private async scanReceipts(after: number, upTo: number): Promise<void> {
    const users = await this.gate.run(() => this.store.usersWhoRead(after, upTo));
    for (const userId of users) for (const worker of this.byUser.get(userId) ?? []) worker.wantBadge();
  }
}
