/**
 * The delegated server name of a hostname, from its `/.well-known/matrix/server`, cached as the spec
 * recommends ("Resolving server names", step 3): the answer's cache headers are respected, with 24 hours
 * when there are none and 48 hours at most; errors are kept for an hour. Two refinements in the spirit
 * of the spec's "exponentially back off for repeated failures", as Synapse does them too:
 * - Nothing is kept for less than 5 minutes (`no-store` included), so a server cannot make us fetch
 *   its well-known before every request.
 * - When a server that had a valid well-known cannot be reached for a moment (network error, timeout,
 *   5xx), its last delegation stays in use for a while, asked again after 2, 4, 8 ... minutes, instead
 *   of federation falling back for an hour to targets that most such servers do not serve.
 * Periods that come from no header get ±10% jitter so that entries made together do not expire together.
 */
import type { Logger } from "../../logger.js";
import { formatServerName, parseWellKnownServer, type ServerName } from "../../protocol/server-name.js";
import type { Clock } from "../clock.js";
import { ExpiringCache } from "./server-discovery-cache.js";
import type { RandomSource } from "./server-discovery-srv.js";
import { freshnessFromHeaders } from "./well-known-cache-period.js";
import type { WellKnownFetcher, WellKnownResponse } from "./well-known-fetch.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface WellKnownCachePolicy {
  /** When the answer has no caching headers. */
  defaultMs: number;
  minMs: number;
  maxMs: number;
  /** After an invalid answer or a failure, with no earlier delegation to fall back on. */
  errorMs: number;
  /** First retry after a failure while an earlier delegation is still in use; doubled each time. */
  outageRetryMs: number;
  /** How long after its expiry an earlier delegation may still bridge an outage. */
  outageBridgeMs: number;
}

export const DEFAULT_WELL_KNOWN_CACHE_POLICY: WellKnownCachePolicy = {
  defaultMs: 24 * HOUR,
  minMs: 5 * MINUTE,
  maxMs: 48 * HOUR,
  errorMs: HOUR,
  outageRetryMs: 2 * MINUTE,
  outageBridgeMs: 2 * HOUR,
};

const JITTER = 0.1;

interface WellKnownEntry {
  delegated: ServerName | null;
  /** The last valid delegation and the clock time until which it may bridge an outage. */
  lastValid: { name: ServerName; until: number } | null;
  /** Failures in a row to reach a server whose last delegation is still in use, for the backoff. */
  failures: number;
}

type Outcome = { kind: "valid"; name: ServerName; response: WellKnownResponse } | { kind: "invalid"; reason: string } | { kind: "unreachable"; reason: string };

export class WellKnownResolver {
  private readonly cache: ExpiringCache<WellKnownEntry>;

  constructor(
    private readonly fetchWellKnown: WellKnownFetcher,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly policy: WellKnownCachePolicy,
    maxEntries: number,
    private readonly logger?: Logger,
  ) {
    this.cache = new ExpiringCache(maxEntries, clock);
  }

  /** The server name that `hostname` delegates federation to, or null when it has no valid well-known. */
  async delegatedServer(hostname: string): Promise<ServerName | null> {
    const key = hostname.toLowerCase();
    const entry = await this.cache.get(key, () => this.refresh(key, hostname));
    return entry.delegated;
  }

  private async refresh(key: string, hostname: string): Promise<WellKnownEntry> {
    const outcome = await this.fetchOutcome(hostname);
    const now = this.clock.now();
    const previous = this.cache.entry(key)?.value;
    let entry: WellKnownEntry;
    let ttlMs: number;
    if (outcome.kind === "valid") {
      const fromHeaders = freshnessFromHeaders(outcome.response.headers, now);
      ttlMs = fromHeaders === undefined ? this.jittered(this.policy.defaultMs) : Math.min(Math.max(fromHeaders, this.policy.minMs), this.policy.maxMs);
      entry = { delegated: outcome.name, lastValid: { name: outcome.name, until: now + ttlMs + this.policy.outageBridgeMs }, failures: 0 };
      this.logger?.debug({ hostname, delegated: formatServerName(outcome.name), ttlMs }, "well-known delegation");
    } else if (outcome.kind === "unreachable" && previous?.lastValid && now < previous.lastValid.until) {
      const failures = previous.failures + 1;
      ttlMs = Math.min(this.policy.outageRetryMs * 2 ** (failures - 1), this.policy.errorMs);
      entry = { delegated: previous.lastValid.name, lastValid: previous.lastValid, failures };
      this.logger?.info({ hostname, reason: outcome.reason, retryInMs: ttlMs }, "well-known unreachable; keeping the last delegation");
    } else {
      ttlMs = this.jittered(this.policy.errorMs);
      entry = { delegated: null, lastValid: null, failures: 0 };
      this.logger?.debug({ hostname, reason: outcome.reason }, "no valid well-known");
    }
    this.cache.set(key, entry, ttlMs);
    return entry;
  }

  private async fetchOutcome(hostname: string): Promise<Outcome> {
    let response: WellKnownResponse;
    try {
      response = await this.fetchWellKnown(hostname);
    } catch (error) {
      return { kind: "unreachable", reason: (error as Error).message };
    }
    // Server errors and "come back later" say nothing about the delegation; other statuses are answers.
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      return { kind: "unreachable", reason: `status ${response.status}` };
    }
    if (response.status !== 200) return { kind: "invalid", reason: `status ${response.status}` };
    const name = parseWellKnownServer(response.body);
    if (name === null) return { kind: "invalid", reason: "body is not JSON with a valid m.server" };
    return { kind: "valid", name, response };
  }

  private jittered(periodMs: number): number {
    return Math.round(periodMs * (1 - JITTER + 2 * JITTER * this.random()));
  }
}
