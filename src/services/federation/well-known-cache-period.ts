/**
 * How long a `/.well-known/matrix/server` answer may be kept, from its HTTP caching headers (RFC 9111
 * sections 4.2.1 and 5): the spec asks servers to respect them, to use a default when there are none,
 * and to cap the result; the caller applies the default and the bounds.
 */

export interface CacheHeaders {
  cacheControl?: string | undefined;
  expires?: string | undefined;
  date?: string | undefined;
  age?: string | undefined;
}

const DELTA_SECONDS = /^[0-9]+$/;

/** Cache-Control directives by lower-cased name; a directive without a value maps to "". */
function parseCacheControl(header: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of header.split(",")) {
    const equals = part.indexOf("=");
    const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    if (name === "") continue;
    const value = equals < 0 ? "" : part.slice(equals + 1).trim().replace(/^"(.*)"$/, "$1");
    // RFC 9111 4.2.1: with a directive repeated, the first one counts.
    if (!directives.has(name)) directives.set(name, value);
  }
  return directives;
}

/**
 * The remaining freshness of the answer in milliseconds (0 or more), or undefined when its headers say
 * nothing about caching. `no-store` and `no-cache` count as 0 (the caller's lower bound then applies):
 * we have no revalidation, so a copy that must be checked before each use is as good as none. An
 * Expires date that cannot be parsed is in the past (RFC 9111 5.3).
 */
export function freshnessFromHeaders(headers: CacheHeaders, now: number): number | undefined {
  const directives = parseCacheControl(headers.cacheControl ?? "");
  const ageSeconds = headers.age !== undefined && DELTA_SECONDS.test(headers.age.trim()) ? Number(headers.age.trim()) : 0;
  if (directives.has("no-store") || directives.has("no-cache")) return 0;
  const maxAge = directives.get("max-age");
  if (maxAge !== undefined && DELTA_SECONDS.test(maxAge)) {
    return Math.max(0, (Number(maxAge) - ageSeconds) * 1000);
  }
  if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    if (Number.isNaN(expires)) return 0;
    // Measured against the server's own Date when it sent one, so that clock skew between the two
    // machines does not shorten or lengthen the period.
    const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
    const sent = Number.isNaN(date) ? now : date;
    return Math.max(0, expires - sent - ageSeconds * 1000);
  }
  return undefined;
}
