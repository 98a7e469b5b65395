/**
 * Server names (appendices: "Server Name"): `hostname [ ":" port ]`, where the hostname is a DNS name,
 * a dotted-quad IPv4 literal or a bracketed IPv6 literal. Server names are case-sensitive and are
 * compared as written; nothing here lower-cases them.
 */

export type ServerNameKind = "dns" | "ipv4" | "ipv6";

export interface ServerName {
  /** The host as written; an IPv6 literal keeps its brackets, as in URL.hostname and the server name. */
  host: string;
  /** The explicit port, 1–65535, when there is one. */
  port?: number;
  kind: ServerNameKind;
}

/**
 * The longest server name we accept. The grammar caps a DNS name at 255 characters; since a server
 * name is part of identifiers that are themselves capped at 255 bytes, no longer one is of use.
 */
export const MAX_SERVER_NAME_BYTES = 255;

const DOTTED_QUAD = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;
// Labels of letters, digits and hyphens, separated by single dots: no empty label, so no leading or
// trailing dot. Like Synapse we do not enforce RFC 1123's 63-character labels or its rule against a
// hyphen at either end of a label: server names in existing room history were accepted without them.
const DNS_NAME = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const PORT = /^[0-9]{1,5}$/;

/** A dotted quad of four decimal numbers 0–255 (1 to 3 digits each, as the grammar allows). */
export function isIpv4Literal(text: string): boolean {
  const match = DOTTED_QUAD.exec(text);
  return match !== null && match.slice(1).every((part) => Number(part) <= 255);
}

/** Counts the 16-bit groups of an IPv6 address part without "::"; -1 if malformed. */
function countGroups(part: string, mayEndInIpv4: boolean): number {
  if (part === "") return 0;
  const groups = part.split(":");
  let count = 0;
  for (let k = 0; k < groups.length; k++) {
    const group = groups[k] as string;
    if (HEX_GROUP.test(group)) count += 1;
    else if (mayEndInIpv4 && k === groups.length - 1 && isIpv4Literal(group)) count += 2;
    else return -1;
  }
  return count;
}

/**
 * An IPv6 address in the text forms of RFC 3513 section 2.2 (the same as RFC 4291's): eight groups of
 * 1–4 hex digits, one "::" standing for one or more zero groups, and an optional dotted-quad IPv4 tail.
 * No zone index (the server-name grammar has no `%`).
 */
export function isIpv6Literal(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false; // IPv6address = 2*45IPv6char
  const halves = text.split("::");
  if (halves.length > 2) return false;
  if (halves.length === 1) return countGroups(text, true) === 8;
  const head = countGroups(halves[0] as string, false);
  const tail = countGroups(halves[1] as string, true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** Splits and checks a server name; null when it is not one. */
export function parseServerName(text: string): ServerName | null {
  // Every character of a valid server name is ASCII, so length in UTF-16 units is length in bytes.
  if (text.length === 0 || text.length > MAX_SERVER_NAME_BYTES) return null;

  if (text.charCodeAt(0) === 0x5b) {
    const close = text.indexOf("]");
    if (close < 0 || !isIpv6Literal(text.slice(1, close))) return null;
    const host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest === "") return { host, kind: "ipv6" };
    if (rest.charCodeAt(0) !== 0x3a) return null;
    const port = parsePort(rest.slice(1));
    return port === null ? null : { host, port, kind: "ipv6" };
  }

  const colon = text.indexOf(":");
  const host = colon < 0 ? text : text.slice(0, colon);
  let port: number | undefined;
  if (colon >= 0) {
    const parsed = parsePort(text.slice(colon + 1));
    if (parsed === null) return null;
    port = parsed;
  }
  let kind: ServerNameKind;
  if (DOTTED_QUAD.test(host)) {
    // Looks like an IPv4 literal, so it must be one: the spec requires each number to be 0–255.
    // (Synapse would take 999.1.1.1 as a DNS name; no real server can have such a name.)
    if (!isIpv4Literal(host)) return null;
    kind = "ipv4";
  } else if (DNS_NAME.test(host)) {
    kind = "dns";
  } else {
    return null;
  }
  return port === undefined ? { host, kind } : { host, port, kind };
}

export function isValidServerName(text: string): boolean {
  return parseServerName(text) !== null;
}
