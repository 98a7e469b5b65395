/**
 * At most N thumbnails rendered at once. Decoding runs on libuv's thread pool, which file reads and DNS
 * lookups share: a burst of thumbnail requests must not take all of its threads, nor hold many decoded
 * images in memory at the same time.
 */
export class ThumbnailLimiter {
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
