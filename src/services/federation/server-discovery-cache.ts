/**
 * The bounded cache behind server discovery: entries expire by a time of their own (a DNS TTL, a
 * well-known's Cache-Control) on the injected clock, and an expired entry is kept until the LRU evicts
 * it, so that a lookup which fails for a moment can fall back on the last answer. Lookups of one key
 * that run at the same time share one promise, so a burst of requests to a new destination makes one
 * DNS query or one well-known request, not one each.
 */
import type { LRUCache } from "lru-cache";
import type { Clock } from "../clock.js";
import { lruCache } from "../../lru.js";

export interface CacheEntry<V> {
  value: V;
  /** Clock time (ms) until which the entry is fresh. */
  expiresAt: number;
}

export class ExpiringCache<V> {
  private readonly entries: LRUCache<string, CacheEntry<V>>;
  private readonly pending = new Map<string, Promise<V>>();

  constructor(
    maxEntries: number,
    private readonly clock: Clock,
  ) {
    this.entries = lruCache(maxEntries);
  }

  /** The value while it is fresh. */
  fresh(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && this.clock.now() < entry.expiresAt ? entry.value : undefined;
  }

  /** The entry whether fresh or not (undefined once evicted). */
  entry(key: string): CacheEntry<V> | undefined {
    return this.entries.get(key);
  }

  /** Stores a value for `ttlMs`; 0 keeps it only as a stale fallback. */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.clock.now() + Math.max(0, ttlMs) });
  }

  /** The fresh value, or else the result of `load`, shared with concurrent callers for the same key. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.fresh(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const running = this.pending.get(key);
    if (running !== undefined) return running;
    const started = load().finally(() => this.pending.delete(key));
    this.pending.set(key, started);
    return started;
  }
}
