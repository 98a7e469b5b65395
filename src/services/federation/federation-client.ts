/**
 * Requests to other homeservers (server-server API "API standards", "Request Authentication"): the
 * destination's server name is resolved to connection targets (server discovery), each tried in turn
 * until one connects; the request goes over TLS with the SNI and Host the resolution gives, signed
 * with an X-Matrix header unless it is a key request; the JSON answer is read with the strict parser
 * and a size limit. Errors a remote server returns are `FederationError`s; their text is never passed
 * on to clients.
 */
import { request as httpsRequest, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import type { JsonObject, JsonValue } from "../../protocol/json.js";
import { parseStrictJson } from "../../protocol/strict-json.js";
import type { SigningKey } from "../../protocol/signing-key.js";
import { signRequest } from "../../protocol/x-matrix.js";

/** Where to connect for a server name, and what to present there. */
export interface ConnectionTarget {
  /** IP address or hostname to connect to. */
  host: string;
  port: number;
  /** The Host header. */
  hostHeader: string;
  /** The name the certificate must match (sent as SNI unless it is an IP literal). */
  tlsServername: string;
}

export type ServerResolver = (serverName: string) => Promise<readonly ConnectionTarget[]>;

export interface FederationRequestOptions {
  body?: JsonObject;
  /** Key requests (`/_matrix/key/v2/...`) are not signed; everything else is. */
  signed?: boolean;
  timeoutMs?: number;
  /** Largest answer accepted, in bytes. */
  maxBytes?: number;
}

export class FederationError extends Error {
  override name = "FederationError";
  constructor(
    readonly destination: string,
    /** HTTP status of the answer; 0 when no server answered. */
    readonly status: number,
    message: string,
    readonly errcode?: string,
  ) {
    super(message);
  }
}

export interface FederationClientOptions {
  serverName: string;
  /** Whether requests may connect to an address (the outbound IP range blocklist and allowlist). */
  permits?: (address: string) => boolean;
  signingKey: SigningKey;
  verifyTls: boolean;
  timeoutMs: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export class FederationClient {
  constructor(
    private readonly resolve: ServerResolver,
    private readonly options: FederationClientOptions,
  ) {}

  get serverName(): string {
    return this.options.serverName;
  }

  /** Sends one request to `destination` and returns its JSON answer; throws FederationError. */
  async request(destination: string, method: "GET" | "PUT" | "POST", path: string, options: FederationRequestOptions = {}): Promise<JsonValue> {
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const { targets, headers } = await this.prepare(destination, method, path, options);
    if (body) headers["content-type"] = "application/json";
    let lastError: Error = new FederationError(destination, 0, `no address found for ${destination}`);
    for (const target of targets) {
      // Discovery hands out addresses; each is checked here, where the connection is made to it.
      if (this.options.permits && !(isIP(stripBrackets(target.host)) !== 0 && this.options.permits(stripBrackets(target.host)))) {
        lastError = new FederationError(destination, 0, `${target.host} is in a blocked IP range`);
        continue;
      }
      try {
        return await this.send(destination, target, method, path, headers, body, options);
      } catch (error) {
        // A server that answered is the answer; only failures to connect move on to the next target.
        if (error instanceof FederationError && error.status !== 0) throw error;
        lastError = error as Error;
      }
    }
    throw lastError instanceof FederationError ? lastError : new FederationError(destination, 0, lastError.message);
  }

  /**
   * The connection targets of `destination` and the headers of a request to it (signed unless
   * `signed` is false); shared with the streamed requests of federation-stream.ts.
   */
  async prepare(destination: string, method: string, path: string, options: { body?: JsonObject; signed?: boolean } = {}): Promise<{ targets: readonly ConnectionTarget[]; headers: Record<string, string> }> {
    const targets = await this.resolve(destination).catch((error: unknown) => {
      throw new FederationError(destination, 0, `cannot resolve ${destination}: ${(error as Error).message}`);
    });
    const headers: Record<string, string> = { accept: "application/json", "user-agent": "Tessera" };
    if (options.signed ?? true) {
      headers["authorization"] = signRequest(
        { method, uri: path, origin: this.options.serverName, destination, ...(options.body !== undefined ? { content: options.body } : {}) },
        this.options.signingKey,
      );
    }
    return { targets, headers };
  }

  /** How to connect to one target: TLS with the certificate check and SNI the target asks for. */
  connectOptions(target: ConnectionTarget, timeoutMs = this.options.timeoutMs): RequestOptions {
    return {
      host: target.host,
      port: target.port,
      rejectUnauthorized: this.options.verifyTls,
      timeout: timeoutMs,
      // SNI carries host names only (RFC 6066): an IP literal is checked against the certificate without it.
      ...(isIP(stripBrackets(target.tlsServername)) === 0 ? { servername: target.tlsServername } : {}),
      agent: false,
    };
  }

  /** Whether the outbound IP range filter lets requests connect to this target (an address). */
  mayConnect(target: ConnectionTarget): boolean {
    const host = stripBrackets(target.host);
    return !this.options.permits || (isIP(host) !== 0 && this.options.permits(host));
  }

  private send(
    destination: string,
    target: ConnectionTarget,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    options: FederationRequestOptions,
  ): Promise<JsonValue> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const requestOptions: RequestOptions = {
      ...this.connectOptions(target, options.timeoutMs),
      method,
      path,
      headers: { ...headers, host: target.hostHeader, ...(body ? { "content-length": String(body.length) } : {}) },
    };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(requestOptions, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            res.destroy();
            reject(new FederationError(destination, res.statusCode ?? 502, `answer larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (error) => reject(new FederationError(destination, res.statusCode ?? 502, error.message)));
        res.on("end", () => {
          const status = res.statusCode ?? 502;
          let json: JsonValue | undefined;
          try {
            json = parseStrictJson(Buffer.concat(chunks));
          } catch {
            json = undefined;
          }
          if (status < 200 || status >= 300) {
            const errcode = json && typeof json === "object" && !Array.isArray(json) && typeof (json as JsonObject)["errcode"] === "string" ? ((json as JsonObject)["errcode"] as string) : undefined;
            reject(new FederationError(destination, status, `${method} ${path} answered ${status}`, errcode));
            return;
          }
          if (json === undefined) reject(new FederationError(destination, status, `${method} ${path} answered with invalid JSON`));
          else resolve(json);
        });
      });
      req.on("timeout", () => req.destroy(new Error(`timed out after ${requestOptions.timeout} ms`)));
      req.on("error", (error) => reject(new FederationError(destination, 0, error.message)));
      req.end(body);
    });
  }
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
