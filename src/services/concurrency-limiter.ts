/**
 * At most N tasks at once, the rest waiting in arrival order (thumbnails being rendered, woken /sync
 * answers being computed).
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so newcomers cannot overtake it.
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
