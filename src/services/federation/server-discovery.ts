/**
 * Server discovery for outgoing federation requests (server-server API, "Resolving server names"): a
 * server name becomes the list of addresses to try, each with the Host header to send and the name the
 * certificate must be valid for. The DNS resolver and the well-known fetcher are injected, so that
 * tests run the real code against a DNS and an HTTPS server on loopback.
 */
import type { Logger } from "../../logger.js";
import { bareHost, DEFAULT_FEDERATION_PORT, formatServerName, isIpLiteral, parseServerName, type ServerName } from "../../protocol/server-name.js";
import { systemClock, type Clock } from "../clock.js";
import { DiscoveryDns, type DnsResolver } from "./server-discovery-dns.js";
import { isServiceRefused, orderSrvRecords, type RandomSource, type SrvRecord } from "./server-discovery-srv.js";
import type { WellKnownFetcher } from "./well-known-fetch.js";
import { DEFAULT_WELL_KNOWN_CACHE_POLICY, WellKnownResolver, type WellKnownCachePolicy } from "./well-known-resolver.js";

/** One place to connect to. */
export interface ServerTarget {
  /** IP address to connect to (IPv6 without brackets). */
  host: string;
  port: number;
  /** The Host header of requests sent there. */
  hostHeader: string;
  /** The name the certificate must be valid for: a host name, sent as SNI, or an IP address (not sent). */
  tlsServername: string;
}

/** Which rule of the spec's list gave the targets; after a delegation, the rule applied to the delegated name. */
export type ResolutionStep = "ip-literal" | "explicit-port" | "srv" | "srv-legacy" | "default-port";

export interface ResolvedServer {
  serverName: string;
  /** The `m.server` of a valid `/.well-known/matrix/server`, or null when none was used. */
  delegatedServerName: string | null;
  step: ResolutionStep;
  /** In the order to try them; never empty. */
  targets: ServerTarget[];
}

/** The server name cannot be resolved now: invalid, no address, or DNS failing. */
export class ServerResolutionError extends Error {
  override name = "ServerResolutionError";
  constructor(
    readonly serverName: string,
    message: string,
  ) {
    super(`cannot resolve ${serverName}: ${message}`);
  }
}

export interface ServerDiscoveryDependencies {
  resolver: DnsResolver;
  fetchWellKnown: WellKnownFetcher;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

export interface ServerDiscoveryOptions {
  /** Entries in each cache (well-known, SRV, addresses). Default 10 000. */
  maxCacheEntries?: number;
  /** See DEFAULT_SRV_CACHE_MS. */
  srvCacheMs?: number;
  /** How long a name without addresses is remembered. Default 5 minutes. */
  dnsNegativeCacheMs?: number;
  /** Upper bound on address TTLs. Default 1 hour. */
  dnsMaxTtlMs?: number;
  wellKnownCache?: Partial<WellKnownCachePolicy>;
}

/**
 * How long SRV answers are cached. Node's resolver does not give their TTL; 5 minutes is below the TTL
 * of nearly all real SRV records, so we seldom keep one longer than its owner allows, and costs one
 * query per destination and 5 minutes.
 */
export const DEFAULT_SRV_CACHE_MS = 5 * 60_000;

// An SRV answer with many targets would make as many address lookups; the first ones are plenty.
const MAX_SRV_TARGETS = 16;

export class ServerDiscovery {
  private readonly dns: DiscoveryDns;
  private readonly wellKnown: WellKnownResolver;
  private readonly random: RandomSource;

  constructor(dependencies: ServerDiscoveryDependencies, options: ServerDiscoveryOptions = {}) {
    const clock = dependencies.clock ?? systemClock;
    const maxEntries = options.maxCacheEntries ?? 10_000;
    this.random = dependencies.random ?? Math.random;
    this.dns = new DiscoveryDns(dependencies.resolver, clock, {
      maxEntries,
      srvCacheMs: options.srvCacheMs ?? DEFAULT_SRV_CACHE_MS,
      negativeCacheMs: options.dnsNegativeCacheMs ?? 5 * 60_000,
      maxTtlMs: options.dnsMaxTtlMs ?? 60 * 60_000,
    });
    const policy = { ...DEFAULT_WELL_KNOWN_CACHE_POLICY, ...options.wellKnownCache };
    this.wellKnown = new WellKnownResolver(dependencies.fetchWellKnown, clock, this.random, policy, maxEntries, dependencies.logger);
  }

  /** The targets to try for `serverName`, in order; throws ServerResolutionError. */
  async resolveServer(serverName: string): Promise<ResolvedServer> {
    const name = parseServerName(serverName);
    if (name === null) throw new ServerResolutionError(serverName, "not a valid server name");
    try {
      // Step 3: only a host name without a port is looked up in a well-known.
      const delegated = name.kind === "dns" && name.port === undefined ? await this.wellKnown.delegatedServer(name.host) : null;
      const effective = delegated ?? name;
      const { step, targets } = await this.resolveName(effective);
      if (targets.length === 0) throw new ServerResolutionError(serverName, `no address found for ${formatServerName(effective)}`);
      return { serverName, delegatedServerName: delegated === null ? null : formatServerName(delegated), step, targets };
    } catch (error) {
      if (error instanceof ServerResolutionError) throw error;
      throw new ServerResolutionError(serverName, (error as Error).message);
    }
  }

  /**
   * Steps 1, 2, 4, 5 and 6 for a server name, or 3.1 to 3.5 for a delegated one: the spec states the
   * same rules twice, with the delegated name in place of the server name.
   */
  private async resolveName(name: ServerName): Promise<{ step: ResolutionStep; targets: ServerTarget[] }> {
    if (isIpLiteral(name)) {
      const address = bareHost(name);
      const port = name.port ?? DEFAULT_FEDERATION_PORT;
      return { step: "ip-literal", targets: [{ host: address, port, hostHeader: formatServerName(name), tlsServername: address }] };
    }
    if (name.port !== undefined) {
      const addresses = await this.dns.addresses(name.host);
      return { step: "explicit-port", targets: addresses.map((address) => target(address, name.port as number, formatServerName(name), name.host)) };
    }
    const services: [string, ResolutionStep][] = [
      ["_matrix-fed._tcp.", "srv"],
      ["_matrix._tcp.", "srv-legacy"], // deprecated, still in the spec's list
    ];
    for (const [prefix, step] of services) {
      const records = await this.dns.srv(prefix + name.host);
      if (records.length === 0) continue;
      // "." as the only target: the domain says it has no such service, so none of the later steps apply.
      if (isServiceRefused(records)) throw new Error(`SRV ${prefix}${name.host} says the service is not available`);
      // The Host header and certificate name stay the name that was looked up, not the SRV target:
      // DNS is not authenticated, TLS is (the spec's note on SRV delegation).
      return { step, targets: await this.srvTargets(records, name.host) };
    }
    const addresses = await this.dns.addresses(name.host);
    return { step: "default-port", targets: addresses.map((address) => target(address, DEFAULT_FEDERATION_PORT, name.host, name.host)) };
  }

  private async srvTargets(records: readonly SrvRecord[], hostname: string): Promise<ServerTarget[]> {
    const ordered = orderSrvRecords(records, this.random).slice(0, MAX_SRV_TARGETS);
    const lookups = await Promise.allSettled(ordered.map((record) => this.dns.addresses(record.name)));
    const targets: ServerTarget[] = [];
    const seen = new Set<string>();
    lookups.forEach((lookup, k) => {
      if (lookup.status !== "fulfilled") return;
      const { port } = ordered[k] as SrvRecord;
      for (const address of lookup.value) {
        const key = `${address} ${port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        targets.push(target(address, port, hostname, hostname));
      }
    });
    // A target whose lookup failed is skipped while others answered; when every one failed, say why.
    const failed = lookups.find((lookup) => lookup.status === "rejected");
    if (targets.length === 0 && failed !== undefined) throw failed.reason;
    return targets;
  }
}

function target(host: string, port: number, hostHeader: string, tlsServername: string): ServerTarget {
  return { host, port, hostHeader, tlsServername };
}
