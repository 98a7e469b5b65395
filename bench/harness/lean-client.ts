/**
 * A small HTTP client for load generation: node:http with one keep-alive agent, no body streams or
 * JSON work before the response's arrival is timed, so thousands of open long-polls and fan-out
 * timings measure the server rather than the client (fetch allocates far more per request).
 */
import { Agent, request } from "node:http";

export interface LeanResponse {
  status: number;
  body: string;
  /** performance.now() when the last byte of the response arrived. */
  arrivedAt: number;
}

export class LeanClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 100_000 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  send(method: string, path: string, token: string | undefined, body?: unknown): Promise<LeanResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(payload));
      }
      const req = request({ agent: this.agent, host: this.host, port: this.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), arrivedAt: performance.now() }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** A request whose 2xx JSON answer is returned (anything else throws). */
  async json<T = Record<string, unknown>>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
    const res = await this.send(method, path, token, body);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as T;
  }

  /** Registers a user without a password (no scrypt on the server); returns its access token. */
  async register(name: string): Promise<string> {
    const path = "/_matrix/client/v3/register";
    const first = await this.send("POST", path, undefined, { username: name });
    const session = (JSON.parse(first.body) as { session: string }).session;
    const done = await this.json<{ access_token: string }>("POST", path, undefined, { username: name, auth: { type: "m.login.dummy", session } });
    return done.access_token;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inBatches<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}
