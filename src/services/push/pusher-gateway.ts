/**
 * POST /_matrix/push/v1/notify to a push gateway (Push Gateway API): one request with a deadline, an
 * answer read up to a small limit, and the `rejected` pushkeys it lists. Any failure (a refused
 * connection, the deadline, a non-2xx status, an answer that is not a JSON object) throws: the caller
 * retries with backoff. The gateway URL is the user's choice, so, as Synapse does for push, the
 * server's own networks are out of reach unless allowed: the address is checked where the connection
 * is made (our own `lookup`, an IP literal before connecting, the socket's peer once connected).
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { parseStrictJson } from "../../protocol/strict-json.js";
import { permittedLookup, type IpRangeFilter } from "../ip-range-filter.js";
import { lruCache } from "../../lru.js";

/** Gateways answer `{"rejected": [...]}`; anything much larger is not a gateway's answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

export class GatewayError extends Error {}

export interface GatewayOptions {
  timeoutMs: number;
}

export class PushGatewayClient {
  // Connections are kept between notifications: a busy pusher sends many to the same gateway.
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly inFlight = new Set<http.ClientRequest>();
  /** Each gateway URL parsed and its IP literal (if any) checked once, not per notification. */
  private readonly targets = lruCache<string, { url: URL; blocked: string | undefined }>(1_000);

  /** Connections go only to addresses the filter permits. */
  private readonly lookup: LookupFunction;

  constructor(
    private readonly filter: IpRangeFilter,
    private readonly options: GatewayOptions,
  ) {
    this.lookup = permittedLookup(filter);
  }

  /** Posts one notification; returns the pushkeys the gateway rejected. */
  async notify(url: string, body: unknown): Promise<string[]> {
    const { url: target, blocked } = this.target(url);
    if (blocked !== undefined) throw new GatewayError(`address ${blocked} is blocked`);
    const payload = Buffer.from(JSON.stringify(body));
    // One timer for the whole exchange (a plain timer: cheaper than a combined AbortSignal per push).
    let request: http.ClientRequest | undefined;
    const deadline = setTimeout(() => request?.destroy(new GatewayError("timed out")), this.options.timeoutMs);
    let answer: Buffer;
    let status: number;
    try {
      const response = await this.post(target, payload, (r) => (request = r));
      status = response.statusCode ?? 0;
      answer = await readAnswer(response);
    } finally {
      clearTimeout(deadline);
      if (request) this.inFlight.delete(request);
    }
    if (status < 200 || status > 299) throw new GatewayError(`gateway answered ${status}`);
    let parsed: unknown;
    try {
      parsed = parseStrictJson(answer, { mode: "lenient" });
    } catch {
      throw new GatewayError("gateway answer is not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new GatewayError("gateway answer is not a JSON object");
    const rejected = (parsed as Record<string, unknown>)["rejected"];
    return Array.isArray(rejected) ? rejected.filter((k): k is string => typeof k === "string") : [];
  }

  private target(raw: string): { url: URL; blocked: string | undefined } {
    let found = this.targets.get(raw);
    if (!found) {
      const url = new URL(raw);
      const literal = url.hostname.replace(/^\[|\]$/g, "");
      found = { url, blocked: isIP(literal) !== 0 && !this.filter.permits(literal) ? literal : undefined };
      this.targets.set(raw, found);
    }
    return found;
  }

  /** Abandons the requests in flight (shutdown) and closes kept connections. */
  close(): void {
    for (const request of this.inFlight) request.destroy(new GatewayError("shutting down"));
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private post(url: URL, payload: Buffer, started: (request: http.ClientRequest) => void): Promise<IncomingMessage> {
    const https_ = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const request = (https_ ? https : http).request(url, {
        method: "POST",
        agent: https_ ? this.agents.https : this.agents.http,
        lookup: this.lookup,
        headers: { "content-type": "application/json", "content-length": payload.length, "user-agent": "Tessera" },
      });
      request.on("socket", (socket) => {
        // A kept-alive socket was checked when it connected.
        if (socket.remoteAddress !== undefined) return;
        socket.once("connect", () => {
          if (!socket.remoteAddress || !this.filter.permits(socket.remoteAddress)) socket.destroy(new GatewayError("connected address is blocked"));
        });
      });
      request.once("response", resolve);
      request.once("error", reject);
      this.inFlight.add(request);
      started(request);
      request.end(payload);
    });
  }

}

async function readAnswer(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response) {
      total += (chunk as Buffer).length;
      if (total > MAX_ANSWER_BYTES) throw new GatewayError("gateway answer too large");
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    // Destroyed only on failure: a response read to its end gives its socket back to the agent.
    response.destroy();
    throw error;
  }
  return Buffer.concat(chunks);
}
