/**
 * The `r0` paths of endpoints that existed before v1.1 (`/_matrix/client/r0/…`, `/_matrix/media/r0/…`)
 * are served by rewriting them to their `v3` twin before routing, instead of registering each as a
 * route of its own: every Fastify route carries a context of ~6 KiB (and a HEAD twin for a GET), and
 * the 113 aliases came to 0.84 MiB of heap at start. Only the paths of routes that declare an `r0`
 * alias are rewritten; an `r0` path of a newer endpoint stays unknown (404), as before.
 */
import type { Route } from "./route.js";

const R0_SEGMENT = /^(\/_matrix\/[a-z]+)\/r0\//;

/** Whether a Fastify path pattern is an `r0` alias. */
export function isR0Path(path: string): boolean {
  return R0_SEGMENT.test(path);
}

/**
 * A function from a request URL to the URL to route: an `r0` alias's URL becomes its `v3` twin's, every
 * other URL is returned as it is. Every `r0` path must have a `v3` twin in the same route.
 */
export function r0Rewriter(routes: readonly Route<unknown>[]): (url: string) => string {
  const aliases: string[] = [];
  for (const route of routes) {
    for (const path of route.paths) {
      if (!isR0Path(path)) continue;
      const twin = path.replace(R0_SEGMENT, "$1/v3/");
      if (!route.paths.includes(twin)) throw new Error(`${route.operationId}: ${path} has no v3 twin to be served by`);
      aliases.push(path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z]+/g, "[^/]+"));
    }
  }
  if (aliases.length === 0) return (url) => url; // a federation or media-only listener
  // One alternation, matched once per r0 request (the router ignores one trailing slash).
  const known = new RegExp(`^(?:${aliases.join("|")})/?$`);
  return (url) => {
    if (!url.includes("/r0/")) return url;
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (!known.test(path)) return url;
    return path.replace(R0_SEGMENT, "$1/v3/") + (queryAt === -1 ? "" : url.slice(queryAt));
  };
}
