/**
 * IP ranges that outgoing requests (federation, URL previews, push gateways) may not reach unless an
 * operator allows them: the default blocklist and the schema of one range in the config.
 */
import { isIP } from "node:net";
import { z } from "zod";

/**
 * Ranges no outgoing request may connect to by default: private, loopback, link-local, shared (CGNAT), multicast,
 * documentation and other reserved ranges (the list Synapse's sample config recommends, plus the
 * unspecified, "this network", reserved-for-future-use and IPv6 transition ranges that can carry an
 * internal IPv4 address). IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.
 */
export const DEFAULT_IP_RANGE_BLOCKLIST: readonly string[] = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/96",
  "::1/128",
  "64:ff9b:1::/48",
  "100::/64",
  "2001::/23",
  "2001:db8::/32",
  "2002::/16",
  "3fff::/20",
  "fc00::/7",
  "fe80::/10",
  "fec0::/10",
  "ff00::/8",
];

/** An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
export const ipRangeSchema = z.string().refine((value) => {
  const [address = "", prefix, extra] = value.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}, "must be an IP address or a CIDR range such as 10.0.0.0/8");

