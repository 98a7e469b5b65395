/**
 * Follows the `Location` part of a federation media answer (server-server API "Content Repository"):
 * the origin server hands out a URL (typically a signed object-store URL) where the bytes are. It is
 * an ordinary HTTP(S) GET, not a federation request: no signature; redirects followed a few times;
 * the body is handed on as a stream, refused past `maxBytes`. The URL comes from another server, so
 * the federation IP range filter applies to every address connected to (resolved names included).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { Readable } from "node:stream";

export interface LocationAnswer {
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

export class LocationFetchError extends Error {
  override name = "LocationFetchError";
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class LocationFetcher {
  constructor(private readonly options: { verifyTls: boolean; permits: (address: string) => boolean }) {}

  /** GETs the URL (http or https only), following redirects. */
  async get(url: string, limits: { maxBytes: number; timeoutMs: number }): Promise<LocationAnswer> {
    let current = parseUrl(url);
    for (let hop = 0; ; hop++) {
      const res = await this.request(current, limits.timeoutMs);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.destroy();
        if (hop >= MAX_REDIRECTS) throw new LocationFetchError("too many redirects");
        current = parseUrl(new URL(location, current).toString());
        continue;
      }
      if (status < 200 || status >= 300) {
        res.destroy();
        throw new LocationFetchError(`the media location answered ${status}`);
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        res.destroy();
        throw new LocationFetchError("the media is too large", true);
      }
      // The storage counts the bytes as they arrive and stops at its own limit.
      return { headers: res.headers, body: res };
    }
  }

  private request(url: URL, timeoutMs: number): Promise<IncomingMessage> {
    const get = url.protocol === "https:" ? https.get : http.get;
    const literal = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(literal) !== 0 && !this.options.permits(literal)) return Promise.reject(new LocationFetchError("the media location is in a blocked IP range"));
    return new Promise((resolve, reject) => {
      const options = { timeout: timeoutMs, rejectUnauthorized: this.options.verifyTls, headers: { "user-agent": "Tessera" }, lookup: this.lookup() };
      const req = get(url, options, resolve);
      req.on("timeout", () => req.destroy(new LocationFetchError(`timed out after ${timeoutMs} ms`)));
      req.on("error", reject);
    });
  }

  /** A resolver that hands node:net only permitted addresses (the check is where the connection is made). */
  private lookup(): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { all: true, verbatim: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
        if (error) return callback(error, "", 0);
        const allowed = addresses.filter((entry) => this.options.permits(entry.address));
        if (allowed.length === 0) return callback(new LocationFetchError("the media location is in a blocked IP range") as NodeJS.ErrnoException, "", 0);
        if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, allowed);
        return callback(null, allowed[0]!.address, allowed[0]!.family);
      });
    };
  }
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new LocationFetchError("the media location is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new LocationFetchError("the media location is not an http(s) URL");
  return url;
}
