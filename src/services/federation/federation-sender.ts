/**
 * The federation sender (ARCHITECTURE.md "One sent message", step 6): what other servers must receive
 * waits in the outbox, written in the transaction that produced it; one loop per destination drains
 * it into `PUT /_matrix/federation/v1/send/{txnId}` transactions of at most 50 PDUs and 100 EDUs,
 * deleting rows only once the destination acknowledged them. A destination that fails is retried
 * with capped exponential backoff and jitter; one that contacts us meanwhile is retried at once.
 * Nothing is lost across restarts: on start every destination with waiting rows is resumed.
 */
import type { Logger } from "../../logger.js";
import type { JsonObject } from "../../protocol/json.js";
import type { Tx } from "../../storage/db.js";
import type { FederationOutboxStore } from "../../storage/federation-outbox-store.js";
import type { Clock } from "../clock.js";
import type { FederationClient } from "./federation-client.js";

const MAX_PDUS = 50;
const MAX_EDUS = 100;

export interface SenderOptions {
  /** First retry delay after a failure; doubles up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** More PDUs than this waiting for a destination that was down: only the newest per room are sent. */
  catchUpMaxPdus: number;
}

interface DestinationState {
  running: boolean;
  /** More was queued while a transaction was in flight. */
  again: boolean;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  /** The destination was unreachable (or we restarted) since its last successful transaction. */
  behind: boolean;
}

export class FederationSender {
  private readonly destinations = new Map<string, DestinationState>();
  private closed = false;

  constructor(
    private readonly store: FederationOutboxStore,
    private readonly client: FederationClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: SenderOptions,
  ) {}

  /** Resumes every destination that has rows waiting (after a restart). */
  async start(): Promise<void> {
    for (const destination of await this.store.destinations()) {
      this.state(destination).behind = true;
      this.wake(destination);
    }
  }

  close(): void {
    this.closed = true;
    for (const state of this.destinations.values()) clearTimeout(state.retryTimer);
  }

  /** Queues an EDU for `destination` in `tx`; sending starts once it commits. */
  async queueEdu(tx: Tx, destination: string, edu: { edu_type: string; content: JsonObject }): Promise<void> {
    await this.store.add(tx.db, destination, "edu", JSON.stringify(edu), this.clock.now());
    tx.onCommit(() => this.wake(destination));
  }

  /** Queues a room event (PDU) for `destination` in `tx`; sending starts once it commits. */
  async queuePdu(tx: Tx, destination: string, pdu: JsonObject): Promise<void> {
    await this.store.add(tx.db, destination, "pdu", JSON.stringify(pdu), this.clock.now());
    tx.onCommit(() => this.wake(destination));
  }

  /** Whether sending to `destination` failed and waits for its next retry (it looks down). */
  isBackingOff(destination: string): boolean {
    return (this.destinations.get(destination)?.failures ?? 0) > 0;
  }

  /** The destination contacted us: it is up, so anything held back by backoff goes now. */
  destinationIsUp(destination: string): void {
    const state = this.destinations.get(destination);
    if (!state || state.failures === 0) return;
    clearTimeout(state.retryTimer);
    state.retryTimer = undefined;
    state.failures = 0;
    this.wake(destination);
  }

  private state(destination: string): DestinationState {
    let state = this.destinations.get(destination);
    if (!state) {
      state = { running: false, again: false, failures: 0, retryTimer: undefined, behind: false };
      this.destinations.set(destination, state);
    }
    return state;
  }

  private wake(destination: string): void {
    if (this.closed) return;
    const state = this.state(destination);
    if (state.running) {
      state.again = true;
      return;
    }
    if (state.retryTimer) return; // backing off: the timer (or the destination contacting us) resumes it
    state.running = true;
    // After close() the database may be gone under an in-flight drain: its rows stay queued and go
    // again (with the same transaction ID) after the next start.
    void this.drain(destination, state)
      .catch((error: unknown) => {
        if (!this.closed) this.log.warn({ destination, error: (error as Error).message }, "federation outbox drain failed");
      })
      .finally(() => {
        state.running = false;
        if (state.again && !state.retryTimer) {
          state.again = false;
          this.wake(destination);
        }
      });
  }

  private async drain(destination: string, state: DestinationState): Promise<void> {
    for (;;) {
      state.again = false;
      if (this.closed) return;
      if (state.behind) {
        // Catch-up (as Synapse): after a long outage the destination gets each room's newest event
        // and fetches the history it missed, instead of every event it missed in order.
        const dropped = await this.store.collapsePdus(destination, this.options.catchUpMaxPdus);
        if (dropped > 0) this.log.info({ destination, dropped }, "destination far behind: sending each room's newest events only");
      }
      const rows = await this.store.next(destination, MAX_PDUS, MAX_EDUS);
      if (rows.length === 0) {
        if (state.failures === 0) this.destinations.delete(destination);
        return;
      }
      const ids = rows.map((r) => r.id).sort((a, b) => a - b);
      // The same rows always make the same transaction ID, so a retry the destination already
      // processed is recognised there as a duplicate.
      const txnId = `${ids[0]}-${ids[ids.length - 1]}-${ids.length}`;
      const body = {
        origin: this.client.serverName,
        origin_server_ts: this.clock.now(),
        pdus: rows.filter((r) => r.kind === "pdu").map((r) => JSON.parse(r.body) as JsonObject),
        edus: rows.filter((r) => r.kind === "edu").map((r) => JSON.parse(r.body) as JsonObject),
      };
      try {
        await this.client.request(destination, "PUT", `/_matrix/federation/v1/send/${encodeURIComponent(txnId)}`, { body });
      } catch (error) {
        state.failures++;
        state.behind = true;
        const delay = this.backoff(state.failures);
        this.log.info({ destination, failures: state.failures, retryInMs: delay, error: (error as Error).message }, "federation transaction failed");
        state.retryTimer = setTimeout(() => {
          state.retryTimer = undefined;
          this.wake(destination);
        }, delay);
        state.retryTimer.unref();
        return;
      }
      state.failures = 0;
      state.behind = false;
      await this.store.remove(ids);
    }
  }

  /** Capped exponential backoff with ±20 % jitter, so destinations that failed together do not retry together. */
  private backoff(failures: number): number {
    const base = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}
