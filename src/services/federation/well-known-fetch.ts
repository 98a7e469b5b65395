/**
 * GET `https://<hostname>/.well-known/matrix/server` (server-server API, "Resolving server names",
 * step 3): normal X.509 validation, 30x redirects followed within a bound and without loops, one
 * deadline for the whole exchange and a size limit on each answer. The host names of the URL and of
 * any redirect are resolved through the injected DNS resolver, like the rest of server discovery.
 * It reports what the server answered; judging the answer (status, JSON, caching) is the caller's.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import { request, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import type { DnsResolver } from "./server-discovery-dns.js";
import type { CacheHeaders } from "./well-known-cache-period.js";

export interface WellKnownResponse {
  /** Status of the final answer, after redirects. */
  status: number;
  body: Uint8Array;
  headers: CacheHeaders;
}

/** Fetches the well-known of `hostname`; rejects when no complete answer came (network, TLS, size, redirects). */
export type WellKnownFetcher = (hostname: string) => Promise<WellKnownResponse>;

export interface WellKnownFetcherOptions {
  resolver: Pick<DnsResolver, "resolve4" | "resolve6">;
  /** Check the server's certificate (default true); `federation.verify_tls` turns it off for tests. */
  rejectUnauthorized?: boolean;
  /** Certificates to trust instead of the system's (tests with a self-signed certificate). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** The port of the well-known; always 443 in federation, another one only for tests. */
  port?: number;
  /** For the whole exchange, redirects included. Default 10 s. */
  timeoutMs?: number;
  /** Largest answer body read. Default 50 KiB: a valid answer is a few dozen bytes. */
  maxBytes?: number;
  /** Default 5, enough for http-to-https or apex-to-www chains, and a bound on what a loop can cost. */
  maxRedirects?: number;
  userAgent?: string;
}

export class WellKnownFetchError extends Error {
  override name = "WellKnownFetchError";
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const WELL_KNOWN_PATH = "/.well-known/matrix/server";

export function createWellKnownFetcher(options: WellKnownFetcherOptions): WellKnownFetcher {
  const port = options.port ?? 443;
  const maxRedirects = options.maxRedirects ?? 5;
  const lookup = resolverLookup(options.resolver);
  return async (hostname) => {
    const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    let url = new URL(`https://${hostname}${port === 443 ? "" : `:${port}`}${WELL_KNOWN_PATH}`);
    const visited = new Set<string>();
    for (;;) {
      visited.add(url.href);
      const { response, location } = await getOnce(url, signal, lookup, options);
      if (!REDIRECTS.has(response.status)) return response;
      if (visited.size > maxRedirects) throw new WellKnownFetchError(`more than ${maxRedirects} redirects`);
      if (location === undefined) throw new WellKnownFetchError(`redirect ${response.status} without a Location`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new WellKnownFetchError("redirect to an invalid URL");
      }
      // Certificate validation is the only thing that ties the delegation to the server name: a
      // redirect to plain http would let anyone on the path answer for it.
      if (next.protocol !== "https:") throw new WellKnownFetchError("redirect away from https");
      if (visited.has(next.href)) throw new WellKnownFetchError("redirect loop");
      url = next;
    }
  };
}

function getOnce(
  url: URL,
  signal: AbortSignal,
  lookup: NonNullable<RequestOptions["lookup"]>,
  options: WellKnownFetcherOptions,
): Promise<{ response: WellKnownResponse; location: string | undefined }> {
  const maxBytes = options.maxBytes ?? 50 * 1024;
  // URL.hostname keeps the brackets of an IPv6 literal; sockets and certificate checks want the address.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const requestOptions: RequestOptions = {
    host,
    port: url.port === "" ? 443 : Number(url.port),
    path: url.pathname + url.search,
    method: "GET",
    headers: { accept: "application/json", "user-agent": options.userAgent ?? "Tessera" },
    // SNI carries host names only (RFC 6066); an IP literal is still checked against the certificate.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    lookup,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    agent: false,
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = request(requestOptions, (res) => {
      const tooLarge = (): void => {
        req.destroy();
        reject(new WellKnownFetchError(`answer larger than ${maxBytes} bytes`));
      };
      if (Number(res.headers["content-length"] ?? 0) > maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) tooLarge();
        else chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("close", () => {
        if (!res.complete) reject(new WellKnownFetchError("connection closed before the end of the answer"));
      });
      res.on("end", () => {
        const header = (name: string): string | undefined => {
          const value = res.headers[name];
          return Array.isArray(value) ? value.join(", ") : value;
        };
        resolve({
          response: {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: { cacheControl: header("cache-control"), expires: header("expires"), date: header("date"), age: header("age") },
          },
          location: header("location"),
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** A `lookup` for node:net that asks the injected resolver instead of the system's getaddrinfo. */
function resolverLookup(resolver: Pick<DnsResolver, "resolve4" | "resolve6">): NonNullable<RequestOptions["lookup"]> {
  return (hostname, options: LookupOptions, callback) => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : (options.family ?? 0);
    const lookups = [family !== 4 ? resolver.resolve6(hostname, { ttl: true }) : null, family !== 6 ? resolver.resolve4(hostname, { ttl: true }) : null];
    Promise.allSettled(lookups.map((lookup) => lookup ?? Promise.resolve([]))).then((results) => {
      const addresses: LookupAddress[] = [];
      for (const result of results) {
        if (result.status === "fulfilled") {
          for (const record of result.value) addresses.push({ address: record.address, family: isIP(record.address) });
        }
      }
      if (addresses.length === 0) {
        const failed = results.find((result) => result.status === "rejected");
        const error: NodeJS.ErrnoException = new Error(`no address found for ${hostname}`);
        error.code = (failed?.reason as NodeJS.ErrnoException | undefined)?.code ?? "ENOTFOUND";
        callback(error, "", 0);
      } else if (options.all === true) {
        callback(null, addresses);
      } else {
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      }
    }, (error: unknown) => callback(error as NodeJS.ErrnoException, "", 0));
  };
}
