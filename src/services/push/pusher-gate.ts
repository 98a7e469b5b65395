/**
 * Bounds the database work of push delivery so that it never crowds out requests: at most `limit`
 * preparations run at once, and each starts in a turn of the event loop of its own (after pending
 * I/O), instead of hundreds of pushers woken by one message all reading in the same turn while the
 * next request waits. Waiting for gateways happens outside the gate, so a slow gateway holds nothing.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

export class PushGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      await nextTurn();
      return await work();
    } finally {
      // The slot passes straight to the next waiter, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
