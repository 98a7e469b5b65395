/**
 * Token-bucket rate limits per (action, requester) from the `rate_limits` config: a burst of requests
 * is allowed, then `per_second` on average; beyond that 429 M_LIMIT_EXCEEDED with retry_after_ms.
 * Buckets live in memory: limits are per process, which is enough to protect one process.
 */
import { limitExceeded } from "../errors.js";
import type { Clock } from "./clock.js";

export interface RateLimitSettings {
  enabled: boolean;
  exemptUsers: readonly string[];
  kinds: Readonly<Record<string, { per_second: number; burst: number }>>;
}

interface Bucket {
  tokens: number;
  updatedTs: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly clock: Clock,
  ) {}

  /** Takes one token for `key` (a user ID or an IP) or throws M_LIMIT_EXCEEDED. */
  check(kind: string, key: string): void {
    if (!this.settings.enabled || this.settings.exemptUsers.includes(key)) return;
    const limit = this.settings.kinds[kind];
    if (!limit) return;
    const now = this.clock.now();
    const id = `${kind}\u0000${key}`;
    const bucket = this.buckets.get(id) ?? { tokens: limit.burst, updatedTs: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updatedTs) / 1000) * limit.per_second);
    bucket.updatedTs = now;
    if (bucket.tokens < 1) {
      this.buckets.set(id, bucket);
      throw limitExceeded(Math.ceil(((1 - bucket.tokens) / limit.per_second) * 1000));
    }
    bucket.tokens -= 1;
    this.buckets.delete(id); // re-insert to keep Map order by last use, so the oldest are evicted first
    this.buckets.set(id, bucket);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
