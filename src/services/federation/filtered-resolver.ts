/**
 * The DNS resolver server discovery uses, with the addresses the IP range filter refuses removed from
 * every A and AAAA answer: neither a well-known fetch nor a federation request ever connects to a
 * private or reserved address unless the operator allowed it (server-server API issue: "the outbound
 * IP blocklist ... checked on the address actually connected to"; IP literals are checked by the
 * federation client, which connects only to addresses).
 */
import type { IpRangeFilter } from "../ip-range-filter.js";
import type { DnsResolver } from "./server-discovery-dns.js";

export function filteredResolver(resolver: DnsResolver, filter: IpRangeFilter): DnsResolver {
  return {
    resolveSrv: (hostname) => resolver.resolveSrv(hostname),
    resolve4: async (hostname, options) => (await resolver.resolve4(hostname, options)).filter((r) => filter.permits(r.address)),
    resolve6: async (hostname, options) => (await resolver.resolve6(hostname, options)).filter((r) => filter.permits(r.address)),
  };
}
