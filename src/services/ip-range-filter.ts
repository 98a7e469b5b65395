/**
 * The IP ranges outgoing requests (federation, URL previews, push gateways) may not connect to. Node's BlockList matches IPv4-mapped IPv6 addresses
 * (::ffff:10.0.0.1) against IPv4 ranges by itself; NAT64 addresses (64:ff9b::/96), which a DNS64
 * resolver hands out for IPv4-only hosts, are checked as the IPv4 address they carry.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

function toBlockList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [address = "", prefix] = range.split("/");
    const type = isIP(address) === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/**
 * The IPv4 address inside a NAT64 well-known-prefix address, if it is one. Addresses come from DNS
 * answers and from WHATWG URL parsing, both in the canonical compressed form (RFC 5952).
 */
function nat64Embedded(address: string): string | undefined {
  const match = /^64:ff9b::(?:(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})|(\d+\.\d+\.\d+\.\d+))$/i.exec(address);
  if (!match) return undefined;
  if (match[3]) return match[3];
  const high = match[1] === undefined ? 0 : parseInt(match[1], 16);
  const low = parseInt(match[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

export class IpRangeFilter {
  private readonly blocked: BlockList;
  private readonly allowed: BlockList;

  constructor(blocklist: readonly string[], allowlist: readonly string[]) {
    this.blocked = toBlockList(blocklist);
    this.allowed = toBlockList(allowlist);
  }

  /** Whether a request may connect to this address: not blocked, or explicitly allowed. */
  permits(rawAddress: string): boolean {
    // A scope ID (fe80::1%eth0) is not part of the address.
    const address = rawAddress.split("%")[0]!;
    const family = isIP(address);
    if (family === 0) return false;
    const type = family === 4 ? "ipv4" : "ipv6";
    if (this.allowed.check(address, type)) return true;
    if (this.blocked.check(address, type)) return false;
    const embedded = type === "ipv6" ? nat64Embedded(address) : undefined;
    if (embedded !== undefined) return this.allowed.check(embedded, "ipv4") || !this.blocked.check(embedded, "ipv4");
    return true;
  }
}

/** Resolves a host name to all of its addresses (node:dns's lookup by default; tests inject their own). */
export type AddressResolver = (hostname: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export const systemResolver: AddressResolver = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/**
 * A `lookup` for node:net/http that answers only with addresses the filter permits (ENOTFOUND when
 * none is left): the check happens on the addresses the connection is then made to, so a DNS answer
 * cannot lead a request into a blocked range.
 */
export function permittedLookup(filter: IpRangeFilter, resolve: AddressResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (error, addresses) => {
      const family = { IPv4: 4, IPv6: 6 }[String(options.family)] ?? Number(options.family ?? 0);
      const usable = error ? [] : addresses.filter((a) => (!family || a.family === family) && filter.permits(a.address));
      if (usable.length === 0) {
        const notFound: NodeJS.ErrnoException = error ?? Object.assign(new Error(`no permitted address for ${hostname}`), { code: "ENOTFOUND" });
        (callback as (error: NodeJS.ErrnoException) => void)(notFound);
        return;
      }
      if (options.all) (callback as (error: null, addresses: LookupAddress[]) => void)(null, usable);
      else callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}
