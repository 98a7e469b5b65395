/**
 * What server discovery (server-server API, "Resolving server names") needs from a server name, on top
 * of the grammar in identifiers-server-name.ts: the bare host to connect to, the `host[:port]` form for
 * Host headers, and the delegated name of a `/.well-known/matrix/server` answer. Pure: no I/O.
 */
import { parseServerName, type ServerName } from "./identifiers-server-name.js";
import { isJsonObject } from "./json.js";
import { parseStrictJson } from "./strict-json.js";

export { parseServerName, type ServerName } from "./identifiers-server-name.js";

/** The port of federation when a server name has none and no SRV record names one (IANA "matrix-fed"). */
export const DEFAULT_FEDERATION_PORT = 8448;

export function isIpLiteral(name: ServerName): boolean {
  return name.kind !== "dns";
}

/**
 * The host as a socket or a certificate check wants it: an IPv6 literal without its brackets (the
 * brackets belong to the server-name and URL syntax, not to the address), anything else as written.
 */
export function bareHost(name: ServerName): string {
  return name.kind === "ipv6" ? name.host.slice(1, -1) : name.host;
}

/** `host[:port]` exactly as the server name writes it, which is also the form of a Host header. */
export function formatServerName(name: ServerName): string {
  return name.port === undefined ? name.host : `${name.host}:${name.port}`;
}

/**
 * The delegated server name in the body of a `/.well-known/matrix/server` answer, or null when the body
 * is not a JSON object whose `m.server` is a string in the server-name grammar: the spec treats all of
 * these alike ("If the response is invalid ... skip to step 4"). The Content-Type is not looked at, as
 * the spec says to assume JSON. Lenient number mode, because numbers in keys we ignore must not make
 * the answer invalid; duplicate keys stay refused, as two `m.server` would leave the choice to chance.
 */
export function parseWellKnownServer(body: Uint8Array | string): ServerName | null {
  let json;
  try {
    json = parseStrictJson(body, { mode: "lenient" });
  } catch {
    return null;
  }
  if (!isJsonObject(json)) return null;
  const delegated = json["m.server"];
  return typeof delegated === "string" ? parseServerName(delegated) : null;
}
