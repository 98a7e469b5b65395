/**
 * HTTP(S) GETs for URL previews that cannot reach the server's own networks. Every address is checked
 * where the connection is made: a host name is resolved by our own `lookup`, which hands node:net only
 * permitted addresses (so a DNS answer that changes between a check and the connection — DNS rebinding
 * — cannot slip through), an IP literal is checked before connecting, and the socket's remote address
 * is checked again once connected. Redirects are followed by hand, each hop checked the same way;
 * the whole fetch has one deadline and bodies a size limit.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { MatrixError } from "../../errors.js";
import { permittedLookup, systemResolver, type AddressResolver, type IpRangeFilter } from "../ip-range-filter.js";
import { readLimitedBody } from "./url-preview-body.js";

export interface FetchLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
}

export interface FetchedResource {
  /** The URL the body came from, after redirects. */
  readonly url: string;
  /** Content-Type without parameters, lower case ("" when missing). */
  readonly mediaType: string;
  /** The charset parameter of Content-Type, if any. */
  readonly charset: string | undefined;
  readonly body: Buffer;
}

const USER_AGENT = "Tessera (bot; Matrix URL preview)";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Why a fetch failed, as the client sees it (Synapse's answers; never the remote server's text). */
export const blockedAddress = (): MatrixError => new MatrixError(403, "M_FORBIDDEN", "IP address blocked");
const dnsFailure = (): MatrixError => new MatrixError(502, "M_UNKNOWN", "DNS resolution failure during URL preview generation");
const fetchFailure = (message: string): MatrixError => new MatrixError(502, "M_UNKNOWN", message);

class BlockedConnection extends Error {}

export class PreviewFetcher {
  /** Connections go only to addresses the filter permits. */
  private readonly lookup: LookupFunction;

  constructor(
    private readonly filter: IpRangeFilter,
    private readonly limits: FetchLimits,
    resolve: AddressResolver = systemResolver,
  ) {
    this.lookup = permittedLookup(filter, resolve);
  }

  /** GETs a URL (http or https only), following redirects; throws MatrixErrors. */
  async fetch(rawUrl: string, accept: string): Promise<FetchedResource> {
    const signal = AbortSignal.timeout(this.limits.timeoutMs);
    let url = parseHttpUrl(rawUrl);
    for (let hop = 0; ; hop++) {
      const response = await this.request(url, accept, signal);
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode ?? 0) && location) {
        response.destroy();
        if (hop >= this.limits.maxRedirects) throw fetchFailure("Too many redirects");
        url = redirectTarget(location, url);
        continue;
      }
      if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) > 299) {
        response.destroy();
        throw fetchFailure(`Got error ${response.statusCode ?? 0}`);
      }
      const body = await readLimitedBody(response, this.limits.maxBytes, signal).catch((error: unknown) => {
        throw error instanceof MatrixError ? error : fetchFailure("Failed to download content");
      });
      const [type = "", ...parameters] = (response.headers["content-type"] ?? "").split(";");
      const charset = parameters.map((p) => p.trim().split("=")).find(([name]) => name?.toLowerCase() === "charset")?.[1];
      return { url: url.href, mediaType: type.trim().toLowerCase(), charset: charset?.replace(/^"|"$/g, ""), body };
    }
  }

  private request(url: URL, accept: string, signal: AbortSignal): Promise<IncomingMessage> {
    const literal = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(literal) !== 0 && !this.filter.permits(literal)) return Promise.reject(blockedAddress());
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method: "GET",
        agent: false,
        lookup: this.lookup,
        signal,
        headers: { "user-agent": USER_AGENT, accept, "accept-language": "en", "accept-encoding": "gzip, deflate, br" },
      });
      request.on("socket", (socket) => {
        socket.once("connect", () => {
          if (!socket.remoteAddress || !this.filter.permits(socket.remoteAddress)) socket.destroy(new BlockedConnection());
        });
      });
      request.once("response", resolve);
      request.once("error", (error: NodeJS.ErrnoException) => {
        if (error instanceof BlockedConnection) reject(blockedAddress());
        else if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN" || error.code === "ENODATA") reject(dnsFailure());
        else if (signal.aborted) reject(fetchFailure("Timed out fetching the URL"));
        else reject(fetchFailure("Failed to download content"));
      });
      request.end();
    });
  }

}

/** A URL of scheme http or https, or 400 (for the client's URL; a redirect elsewhere is a 502). */
function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MatrixError(400, "M_INVALID_PARAM", "Invalid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new MatrixError(400, "M_INVALID_PARAM", "Only http and https URLs can be previewed");
  url.hash = "";
  return url;
}

/** Where a redirect leads; a Location that is not an http(s) URL fails the fetch. */
function redirectTarget(location: string, base: URL): URL {
  try {
    return parseHttpUrl(new URL(location, base).href);
  } catch {
    throw fetchFailure("Bad redirect");
  }
}
