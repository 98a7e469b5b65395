/**
 * Stream positions and the requests that wait on them (long-poll /sync, later the federation sender).
 * The notifier passes positions and the users or rooms they concern, never event bodies: a woken
 * waiter re-reads from storage. In one process this is all in memory; with several processes a
 * transport (Redis pub/sub) carries the same notifications between them.
 */

export const STREAMS = ["events", "account_data", "receipts", "presence", "typing", "to_device", "device_lists"] as const;
export type StreamName = (typeof STREAMS)[number];
export type StreamPositions = Record<StreamName, number>;

export interface Notification {
  stream: StreamName;
  position: number;
  /** Rooms whose members should wake. */
  roomIds?: readonly string[];
  /** Users who should wake. */
  userIds?: readonly string[];
}

/** Carries notifications to other processes; the in-process notifier works without one. */
export interface NotifierTransport {
  publish(notification: Notification): void;
  subscribe(handler: (notification: Notification) => void): void;
  close(): Promise<void>;
}

interface Waiter {
  wake(): void;
}

/**
 * What a waiter needs of the request it serves: whether the client is gone, and a call when it goes.
 * AbortSignal has this shape; the HTTP layer also makes a lighter one per long-poll.
 */
export interface Cancellation {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: { handleEvent(): void }, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: { handleEvent(): void }): void;
}

/**
 * One waiting request. A class rather than closures, and the timer and abort listener take the object
 * itself, so that each of thousands of idle long-polls costs one small object and its timer.
 */
class PendingWait implements Waiter {
  timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly owner: Notifier,
    readonly userId: string,
    readonly roomIds: readonly string[],
    private readonly signal: Cancellation | undefined,
    private readonly resolve: (woken: boolean) => void,
  ) {}

  wake(): void {
    this.finish(true);
  }

  /** The abort listener (EventTarget calls handleEvent on listener objects). */
  handleEvent(): void {
    this.finish(false);
  }

  finish(woken: boolean): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener("abort", this);
    this.owner.forget(this);
    this.resolve(woken);
  }
}

function timedOut(wait: PendingWait): void {
  wait.finish(false);
}

function wakeOne(waiter: Waiter): void {
  waiter.wake();
}

export class Notifier {
  private readonly current: StreamPositions;
  private readonly byUser = new Map<string, Set<Waiter>>();
  private readonly byRoom = new Map<string, Set<Waiter>>();
  private readonly globalListeners = new Set<(notification: Notification) => void>();

  constructor(
    initial: Partial<StreamPositions> = {},
    private readonly transport?: NotifierTransport,
  ) {
    this.current = Object.fromEntries(STREAMS.map((s) => [s, initial[s] ?? 0])) as StreamPositions;
    transport?.subscribe((notification) => this.deliver(notification));
  }

  /** The positions every stream has reached (complete, committed positions only). */
  positions(): StreamPositions {
    return { ...this.current };
  }

  position(stream: StreamName): number {
    return this.current[stream];
  }

  /** Announces that a stream reached `position`; wakes the waiters it concerns, here and elsewhere. */
  notify(notification: Notification): void {
    this.deliver(notification);
    this.transport?.publish(notification);
  }

  private deliver(notification: Notification): void {
    if (notification.position > this.current[notification.stream]) this.current[notification.stream] = notification.position;
    const woken = new Set<Waiter>();
    for (const userId of notification.userIds ?? []) for (const waiter of this.byUser.get(userId) ?? []) woken.add(waiter);
    for (const roomId of notification.roomIds ?? []) for (const waiter of this.byRoom.get(roomId) ?? []) woken.add(waiter);
    // Each woken request resumes in its own turn of the event loop: one finishes (and its response
    // leaves) before the next starts, instead of all of them interleaving and answering together at
    // the end; and the code that notified (the send being answered) finishes first.
    for (const waiter of woken) setImmediate(wakeOne, waiter);
    for (const listener of this.globalListeners) listener(notification);
  }

  /** Listens to every notification (the federation sender, caches that follow other processes). */
  onNotification(listener: (notification: Notification) => void): () => void {
    this.globalListeners.add(listener);
    return () => this.globalListeners.delete(listener);
  }

  /**
   * Resolves when something concerning `userId` or one of `roomIds` is notified, after `timeoutMs`,
   * or when `signal` aborts; whichever comes first. Returns whether it was woken by a notification.
   */
  wait(userId: string, roomIds: Iterable<string>, timeoutMs: number, signal?: Cancellation): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wait = new PendingWait(this, userId, [...roomIds], signal, resolve);
      add(this.byUser, userId, wait);
      for (const roomId of wait.roomIds) add(this.byRoom, roomId, wait);
      wait.timer = setTimeout(timedOut, timeoutMs, wait);
      signal?.addEventListener("abort", wait, { once: true });
    });
  }

  /** Removes a finished wait from the indexes (PendingWait calls it). */
  forget(wait: PendingWait): void {
    remove(this.byUser, wait.userId, wait);
    for (const roomId of wait.roomIds) remove(this.byRoom, roomId, wait);
  }

  /** Number of requests waiting (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }
}

function add(map: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(waiter);
}

function remove(map: Map<string, Set<Waiter>>, key: string, waiter: Waiter): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(waiter);
  if (set.size === 0) map.delete(key);
}
