/**
 * Downloads waiting for an asynchronous upload (POST /create, then PUT later): they subscribe before
 * reading the row, so an upload that lands between the read and the wait still wakes them.
 */
export interface UploadSubscription {
  /** Resolves when the upload lands, after `timeoutMs`, or when `signal` aborts, whichever is first. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops listening (always call it). */
  cancel(): void;
}

export class UploadWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  subscribe(key: string): UploadSubscription {
    let woken = false;
    let wake: () => void = () => {
      woken = true;
    };
    const listener = (): void => wake();
    let set = this.waiting.get(key);
    if (!set) {
      set = new Set();
      this.waiting.set(key, set);
    }
    set.add(listener);
    const cancel = (): void => {
      const current = this.waiting.get(key);
      current?.delete(listener);
      if (current?.size === 0) this.waiting.delete(key);
    };
    return {
      cancel,
      wait: (timeoutMs, signal) => {
        if (woken || signal?.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          signal?.addEventListener("abort", done, { once: true });
          wake = done;
        });
      },
    };
  }

  /** Wakes every download waiting for the upload (called once its row is committed). */
  wake(key: string): void {
    for (const listener of this.waiting.get(key) ?? []) listener();
  }
}
