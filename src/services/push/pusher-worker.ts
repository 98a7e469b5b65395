/**
 * One HTTP pusher's delivery loop. Its queue is its user's push actions after its position (schema/
 * pushers.ts); it sends them one at a time, in order, and moves its position past each one delivered,
 * already read when its turn came, or gone (redacted). The sender hands it the notifications it found
 * for its user after each event (`offer`), so a pusher that keeps up reads nothing itself; one that
 * fell behind (a gap between its position and what it was handed) reads its queue from the database.
 * A failure stops the loop and retries after a capped exponential backoff with jitter; a pusher
 * failing for longer than `giveUpAfterMs` drops what is waiting (as Synapse, so that a gateway fixed
 * after days does not deliver a flood of stale notifications) and keeps retrying new ones. A gateway
 * that rejects the pushkey removes the pusher. Each pusher has its own loop, so a slow or dead gateway
 * delays only its own pushers.
 */
import type { Logger } from "../../logger.js";
import type { PendingPush, PusherRecord, PusherStore } from "../../storage/pusher-store.js";
import type { Clock } from "../clock.js";
import { UnreadTracker, type BadgeCounter } from "./pusher-badge.js";
import type { EventFactsReader } from "./pusher-event-facts.js";
import type { PushGate } from "./pusher-gate.js";
import type { PushGatewayClient } from "./pusher-gateway.js";
import { badgeNotification, eventNotification, type NotifyBody } from "./pusher-notification.js";

/** Notifications read per query. */
const BATCH = 50;
/** Notifications handed to a busy pusher kept in memory; past that it reads them from the database. */
const MAX_OFFERED = 500;
/** How long one reading of the user's unread state serves (pusher-badge.ts). */
const UNREAD_REUSE_MS = 1_000;
/** How soon a pusher that went idle looks again at what was found while it was busy. */
const RECHECK_MS = 100;

export interface PusherSenderOptions {
  includeContent: boolean;
  initialBackoffMs: number;
  maxBackoffMs: number;
  giveUpAfterMs: number;
}

export interface WorkerContext {
  readonly store: PusherStore;
  readonly gate: PushGate;
  readonly gateway: PushGatewayClient;
  readonly badges: BadgeCounter;
  readonly facts: EventFactsReader;
  readonly clock: Clock;
  readonly log: Logger;
  readonly options: PusherSenderOptions;
  /** The events stream position up to which everything is committed. */
  position(): number;
  /** The gateway rejected this pusher's pushkey. */
  rejected(worker: PusherWorker): void;
}

type Outcome = "sent" | "skipped" | "retry" | "gone";

/** The user's notifications in (from, upTo], as the sender found them. */
interface Offered {
  from: number;
  upTo: number;
  pushes: PendingPush[];
}

export class PusherWorker {
  /** Stream position up to which everything was dealt with; persisted by the sender's flush. */
  position: number;
  private lastSuccessTs: number | null = null;
  private dirty = false;
  private failures = 0;
  private failingSince: number | null;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private offered: Offered | undefined;
  /** The furthest position scanned while this pusher was busy (it was handed nothing up to there). */
  private missedUpTo = 0;
  private recheckTimer: NodeJS.Timeout | undefined;
  private badgeWanted = false;
  private lastBadge: number | undefined;
  private readonly unread: UnreadTracker;

  constructor(
    public record: PusherRecord,
    private readonly context: WorkerContext,
  ) {
    this.position = record.lastStreamOrdering;
    this.failingSince = record.failingSinceTs;
    this.unread = new UnreadTracker(context.badges, record.userId, context.clock, UNREAD_REUSE_MS);
  }

  /** Neither sending nor waiting to retry: what the sender finds for its user is handed to it. */
  get idle(): boolean {
    return !this.running && this.retryTimer === undefined && !this.stopped;
  }

  /** New notifications may be waiting. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.retryTimer) return; // backing off: the timer resumes it
    clearTimeout(this.recheckTimer); // this run looks again (and re-arms it if it must)
    this.recheckTimer = undefined;
    this.running = true;
    void this.run()
      .catch((error: unknown) => {
        this.context.log.warn({ pusher: this.record.id, error: (error as Error).message }, "push delivery failed");
        this.backOff();
      })
      .finally(() => {
        this.running = false;
        if (this.again && !this.retryTimer) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** The user's notifications in (from, upTo]; kept while they follow on from what was offered before. */
  offer(from: number, upTo: number, pushes: readonly PendingPush[]): void {
    const offered = this.offered;
    if (offered && offered.upTo === from && offered.pushes.length + pushes.length <= MAX_OFFERED) {
      offered.upTo = upTo;
      offered.pushes.push(...pushes);
    } else {
      // Not contiguous or too many: the loop reads from the database from its position.
      this.offered = pushes.length <= MAX_OFFERED ? { from, upTo, pushes: [...pushes] } : undefined;
    }
    this.wake();
  }

  /** The sender scanned up to `upTo` while this pusher was busy: it reads from the database once free. */
  missed(upTo: number): void {
    if (upTo > this.missedUpTo) this.missedUpTo = upTo;
  }

  /**
   * Nothing of the user's in (from, upTo]: an idle pusher that had dealt with everything up to `from`
   * has now up to `upTo` (in memory only: after a restart it would find nothing there either).
   */
  nothingUpTo(from: number, upTo: number): void {
    if (this.idle && this.offered === undefined && this.position >= from && this.position < upTo) this.position = upTo;
  }

  /** The user read something: their badge may have changed. */
  wantBadge(): void {
    this.badgeWanted = true;
    this.wake();
  }

  /** The pusher was set again: new settings, perhaps a new gateway to try at once. */
  update(record: PusherRecord): void {
    const renewed = record.pushkeyTs !== this.record.pushkeyTs;
    this.record = record;
    this.position = Math.max(this.position, record.lastStreamOrdering);
    if (renewed) {
      this.failingSince = record.failingSinceTs;
      this.failures = 0;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.recheckTimer);
    this.retryTimer = undefined;
  }

  /** The position to persist, if it moved since the last call. */
  takeProgress(): { id: number; position: number; successTs: number | null } | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return { id: this.record.id, position: this.position, successTs: this.lastSuccessTs };
  }

  private async run(): Promise<void> {
    for (;;) {
      this.again = false;
      if (this.stopped) return;
      const { pushes, upTo, complete } = await this.next();
      for (const push of pushes) {
        const outcome = await this.deliver(push, upTo);
        if (outcome === "gone") return;
        if (outcome === "retry") return this.backOff();
        this.advance(push.streamOrdering, outcome === "sent");
      }
      // Nothing else of the user's up to `upTo`. Kept in memory only: after a restart the pusher would
      // find nothing there either, so moving past it costs no write.
      if (complete && upTo > this.position) this.position = upTo;
      if (pushes.length === 0) {
        if (this.badgeWanted) await this.sendBadge(upTo);
        if (this.again) continue;
        // Scans skipped this pusher while it read: look again shortly (a timer, not at once, so that a
        // busy stream of events cannot keep it reading).
        if (this.missedUpTo > upTo) this.recheckSoon();
        return;
      }
    }
  }

  /** What to push next: what was offered when it follows on from the position, else from the database. */
  private async next(): Promise<{ pushes: PendingPush[]; upTo: number; complete: boolean }> {
    const offered = this.offered;
    this.offered = undefined;
    if (offered && offered.from <= this.position) {
      return { pushes: offered.pushes.filter((p) => p.streamOrdering > this.position), upTo: Math.max(offered.upTo, this.position), complete: true };
    }
    const upTo = this.context.position();
    const pushes = await this.context.gate.run(() => this.context.store.pending(this.record.userId, this.position, upTo, BATCH));
    return { pushes, upTo, complete: pushes.length < BATCH };
  }

  private async deliver(push: PendingPush, upTo: number): Promise<Outcome> {
    if (this.stopped) return "gone";
    // Building the body and starting the request both cost CPU: they take a turn of the gate; waiting
    // for the gateway's answer does not (the promise is carried out of it, not awaited in it).
    const started = await this.context.gate.run(async () => {
      const prepared = await this.prepare(push, upTo);
      return prepared && { badge: prepared.badge, outcome: this.post(prepared.body) };
    });
    if (!started) return "skipped";
    const outcome = await started.outcome;
    if (outcome === "sent") this.lastBadge = started.badge;
    if (outcome !== "retry") return outcome;
    const now = this.context.clock.now();
    if (this.failingSince === null) {
      this.failingSince = now;
      await this.context.store.setFailingSince(this.record.id, now);
    }
    if (now - this.failingSince < this.context.options.giveUpAfterMs) return "retry";
    this.context.log.warn({ pusher: this.record.id, droppedUpTo: upTo }, "push gateway failing for too long: dropping waiting notifications");
    this.advance(upTo, false);
    return "retry";
  }

  /** The notification's body and badge, or undefined when there is nothing to push (read, or gone). */
  private async prepare(push: PendingPush, upTo: number): Promise<{ body: NotifyBody; badge: number } | undefined> {
    const badge = await this.unread.onPush(push, upTo);
    if (badge === undefined) return undefined;
    const facts = await this.context.facts.facts(push.eventNid);
    if (!facts) return undefined;
    const roomName = await this.context.facts.roomNameFor(facts, this.record.userId);
    const body = eventNotification(this.record, {
      facts,
      roomName,
      recipient: this.record.userId,
      actions: push.actions,
      badge,
      includeContent: this.context.options.includeContent,
    });
    return { body, badge };
  }

  /** Counts only, when they changed since the last push; a failure waits for the next notification. */
  private async sendBadge(upTo: number): Promise<void> {
    this.badgeWanted = false;
    const started = await this.context.gate.run(async () => {
      const badge = await this.unread.current(upTo);
      return badge === this.lastBadge ? undefined : { badge, outcome: this.post(badgeNotification(this.record, badge)) };
    });
    if (started && (await started.outcome) === "sent") this.lastBadge = started.badge;
  }

  private async post(body: NotifyBody): Promise<Outcome> {
    let rejected: string[];
    try {
      rejected = await this.context.gateway.notify(this.record.data["url"] as string, body);
    } catch (error) {
      if (this.stopped) return "gone";
      this.context.log.info({ pusher: this.record.id, failures: this.failures + 1, error: (error as Error).message }, "push gateway failed");
      return "retry";
    }
    if (this.stopped) return "gone";
    this.failures = 0;
    if (this.failingSince !== null) {
      this.failingSince = null;
      await this.context.store.setFailingSince(this.record.id, null);
    }
    if (rejected.includes(this.record.pushkey)) {
      this.context.log.info({ pusher: this.record.id }, "push gateway rejected the pushkey: removing the pusher");
      this.stop();
      this.context.rejected(this);
      return "gone";
    }
    return "sent";
  }

  private advance(streamOrdering: number, sent: boolean): void {
    if (sent) this.lastSuccessTs = this.context.clock.now();
    if (streamOrdering <= this.position) return;
    this.position = streamOrdering;
    this.dirty = true;
  }

  private recheckSoon(): void {
    if (this.recheckTimer) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      this.wake();
    }, RECHECK_MS);
    this.recheckTimer.unref();
  }

  private backOff(): void {
    if (this.stopped || this.retryTimer) return;
    this.failures++;
    const { initialBackoffMs, maxBackoffMs } = this.context.options;
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(this.failures - 1, 30));
    // ±20 % so that pushers of one failed gateway do not all retry at the same moment.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, delay);
    this.retryTimer.unref();
  }
}
