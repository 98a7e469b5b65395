/**
 * The DNS lookups of server discovery, cached: SRV records and the addresses (AAAA and A; the resolver
 * follows CNAMEs) of a host. The resolver is injected: node:dns/promises' `Resolver` in production, one
 * pointed at a loopback DNS server in tests.
 */
import type { RecordWithTtl } from "node:dns";
import type { Clock } from "../clock.js";
import { ExpiringCache } from "./server-discovery-cache.js";
import type { SrvRecord } from "./server-discovery-srv.js";

/** What discovery uses of node:dns/promises' `Resolver`. */
export interface DnsResolver {
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

export interface DiscoveryDnsOptions {
  /** Entries per cache (SRV, addresses). */
  maxEntries: number;
  /**
   * How long SRV answers (and the absence of any) are kept. Node's resolver does not report the TTL of
   * SRV records, so this stands in for it; see DEFAULT_SRV_CACHE_MS.
   */
  srvCacheMs: number;
  /** How long "no such name / no address" is kept: the SOA minimum TTL is not reported either. */
  negativeCacheMs: number;
  /** Upper bound on address TTLs, so that a record with a TTL of days is still looked at again. */
  maxTtlMs: number;
}

/** A lookup that failed for another reason than the name or record not existing (timeout, SERVFAIL). */
export class DnsLookupError extends Error {
  override name = "DnsLookupError";
}

// The answers that say "nothing there": NXDOMAIN and NODATA. Any other failure may pass.
const NO_RECORDS = new Set(["ENOTFOUND", "ENODATA"]);
// When a lookup fails and the last answer is used instead, ask again after this long.
const STALE_RETRY_MS = 60_000;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isNoRecords(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NO_RECORDS.has(code);
}

function lookupFailure(what: string, error: unknown): DnsLookupError {
  return new DnsLookupError(`DNS lookup of ${what} failed (${errorCode(error) ?? (error as Error).message})`);
}

export class DiscoveryDns {
  private readonly srvCache: ExpiringCache<readonly SrvRecord[]>;
  private readonly addressCache: ExpiringCache<readonly string[]>;

  constructor(
    private readonly resolver: DnsResolver,
    clock: Clock,
    private readonly options: DiscoveryDnsOptions,
  ) {
    this.srvCache = new ExpiringCache(options.maxEntries, clock);
    this.addressCache = new ExpiringCache(options.maxEntries, clock);
  }

  /** The SRV records of `name` in the order the server returned them; [] when there are none. */
  srv(name: string): Promise<readonly SrvRecord[]> {
    return this.cached(this.srvCache, name.toLowerCase(), async () => {
      try {
        return { value: await this.resolver.resolveSrv(name), ttlMs: this.options.srvCacheMs };
      } catch (error) {
        if (isNoRecords(error)) return { value: [], ttlMs: this.options.srvCacheMs };
        throw lookupFailure(`SRV ${name}`, error);
      }
    });
  }

  /**
   * The IPv6 and IPv4 addresses of `host`, alternating and IPv6 first (as RFC 8305 orders them), so
   * that a client trying them in turn reaches IPv4 at the second attempt where IPv6 is not routed.
   * [] when the host has neither.
   */
  addresses(host: string): Promise<readonly string[]> {
    return this.cached(this.addressCache, host.toLowerCase(), async () => {
      const [v6, v4] = await Promise.allSettled([this.resolver.resolve6(host, { ttl: true }), this.resolver.resolve4(host, { ttl: true })]);
      const answers = [v6, v4].map((result) => {
        if (result.status === "fulfilled") return result.value;
        return isNoRecords(result.reason) ? [] : null;
      });
      const [six, four] = answers;
      if (six === null && four === null) throw lookupFailure(`addresses of ${host}`, (v4 as PromiseRejectedResult).reason);
      const records = interleave(six ?? [], four ?? []);
      const value = [...new Set(records.map((record) => record.address))];
      // One family failed for a moment: use the other now, but do not keep the half answer.
      if (six === null || four === null) return { value, ttlMs: 0 };
      if (records.length === 0) return { value, ttlMs: this.options.negativeCacheMs };
      const ttlSeconds = Math.min(...records.map((record) => record.ttl));
      return { value, ttlMs: Math.min(ttlSeconds * 1000, this.options.maxTtlMs) };
    });
  }

  private cached<V>(cache: ExpiringCache<V>, key: string, lookup: () => Promise<{ value: V; ttlMs: number }>): Promise<V> {
    return cache.get(key, async () => {
      try {
        const { value, ttlMs } = await lookup();
        cache.set(key, value, ttlMs);
        return value;
      } catch (error) {
        const stale = cache.entry(key);
        if (stale === undefined) throw error;
        // While the DNS server fails, its last answer is a better guess than none.
        cache.set(key, stale.value, STALE_RETRY_MS);
        return stale.value;
      }
    });
  }
}

function interleave<T>(first: readonly T[], second: readonly T[]): T[] {
  const merged: T[] = [];
  for (let k = 0; k < Math.max(first.length, second.length); k++) {
    if (k < first.length) merged.push(first[k] as T);
    if (k < second.length) merged.push(second[k] as T);
  }
  return merged;
}
