/**
 * One HTTP pusher's delivery loop. Its queue is its user's push actions after its position (schema/
 * pushers.ts); it sends them one at a time, in order, and moves its position past each one delivered,
 * already read when its turn came, or gone (redacted). A failure stops the loop and retries after a
 * capped exponential backoff with jitter; a pusher failing for longer than `giveUpAfterMs` drops what
 * is waiting (as Synapse, so that a gateway fixed after days does not deliver a flood of stale
 * notifications) and keeps retrying new ones. A gateway that rejects the pushkey removes the pusher.
 * Each pusher has its own loop, so a slow or dead gateway delays only its own pushers.
 */
import type { Logger } from "../../logger.js";
import type { PendingPush, PusherRecord, PusherStore } from "../../storage/pusher-store.js";
import type { Clock } from "../clock.js";
import type { BadgeCounter, UnreadState } from "./pusher-badge.js";
import type { EventFactsReader } from "./pusher-event-facts.js";
import type { PushGate } from "./pusher-gate.js";
import type { PushGatewayClient } from "./pusher-gateway.js";
import { badgeNotification, eventNotification, type NotifyBody } from "./pusher-notification.js";

/** Notifications read per query. */
const BATCH = 50;
/**
 * How long one reading of the user's read positions and badge serves the notifications of a batch
 * (badges count everything unread when the push is made, not up to its event, as Synapse's).
 */
const UNREAD_REUSE_MS = 1_000;

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

export class PusherWorker {
  /** Stream position of the last notification dealt with; persisted by the sender's flush. */
  position: number;
  private lastSuccessTs: number | null = null;
  private dirty = false;
  private failures = 0;
  private failingSince: number | null;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = false;
  private badgeWanted = false;
  private lastBadge: number | undefined;
  private unread: { state: UnreadState; upTo: number; at: number } | undefined;

  constructor(
    public record: PusherRecord,
    private readonly context: WorkerContext,
  ) {
    this.position = record.lastStreamOrdering;
    this.failingSince = record.failingSinceTs;
  }

  /** New notifications may be waiting. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.retryTimer) return; // backing off: the timer resumes it
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
      const upTo = this.context.position();
      const batch = await this.context.gate.run(() => this.context.store.pending(this.record.userId, this.position, upTo, BATCH));
      if (batch.length === 0) {
        if (this.badgeWanted) await this.sendBadge(upTo);
        return;
      }
      for (const push of batch) {
        const outcome = await this.deliver(push, upTo);
        if (outcome === "gone") return;
        if (outcome === "retry") return this.backOff();
        this.advance(push.streamOrdering, outcome === "sent");
      }
    }
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
    const unread = await this.unreadState(upTo);
    if (push.streamOrdering <= unread.positions.readUpTo(push.roomNid, push.threadId)) return undefined;
    const facts = await this.context.facts.facts(push.eventNid);
    if (!facts) return undefined;
    const roomName = await this.context.facts.roomNameFor(facts, this.record.userId);
    const body = eventNotification(this.record, {
      facts,
      roomName,
      recipient: this.record.userId,
      actions: push.actions,
      badge: unread.badge,
      includeContent: this.context.options.includeContent,
    });
    return { body, badge: unread.badge };
  }

  private async unreadState(upTo: number): Promise<UnreadState> {
    const now = this.context.clock.now();
    if (this.unread && this.unread.upTo === upTo && now - this.unread.at < UNREAD_REUSE_MS) return this.unread.state;
    const state = await this.context.badges.load(this.record.userId, upTo);
    this.unread = { state, upTo, at: now };
    return state;
  }

  /** Counts only, when they changed since the last push; a failure waits for the next notification. */
  private async sendBadge(upTo: number): Promise<void> {
    this.badgeWanted = false;
    const started = await this.context.gate.run(async () => {
      const { badge } = await this.context.badges.load(this.record.userId, upTo);
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
    if (streamOrdering <= this.position) return;
    this.position = streamOrdering;
    if (sent) this.lastSuccessTs = this.context.clock.now();
    this.dirty = true;
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
