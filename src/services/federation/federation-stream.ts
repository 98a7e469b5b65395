/**
 * Streamed answers of other servers: media over federation (server-server API "Content Repository")
 * is too large to collect and is not JSON. The request is resolved, signed and sent over TLS exactly
 * as FederationClient.request does (its `prepare` and `connectOptions`); the 2xx answer's body is
 * handed over as a stream that fails once more than `maxBytes` have passed. Error answers are read (a
 * little of them) for their errcode and become FederationErrors.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Transform, type Readable } from "node:stream";
import { parseStrictJson } from "../../protocol/strict-json.js";
import { FederationError, type ConnectionTarget, type FederationClient } from "./federation-client.js";

/** A 2xx answer whose body has not been read yet. */
export interface FederationStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Destroy it when it is not read to its end: that closes the connection. */
  readonly body: Readable;
}

export interface FederationStreamOptions {
  /** Most bytes of body accepted; a larger Content-Length is refused before the body is read. */
  readonly maxBytes: number;
  readonly timeoutMs?: number;
}

/** The answer (as announced, or as it streamed) passed `maxBytes`. */
export class AnswerTooLargeError extends FederationError {
  override name = "AnswerTooLargeError";
  constructor(destination: string, readonly maxBytes: number) {
    super(destination, 502, `answer larger than ${maxBytes} bytes`);
  }
}

/** Error bodies are only read for their errcode. */
const MAX_ERROR_BYTES = 64 * 1024;

export class FederationStreams {
  constructor(private readonly client: FederationClient) {}

  /** GETs `path` from `destination` (signed) and hands back the answer's body as a stream. */
  async get(destination: string, path: string, options: FederationStreamOptions): Promise<FederationStream> {
    const { targets, headers } = await this.client.prepare(destination, "GET", path);
    headers["accept"] = "*/*";
    let lastError: Error = new FederationError(destination, 0, `no address found for ${destination}`);
    for (const target of targets) {
      if (!this.client.mayConnect(target)) {
        lastError = new FederationError(destination, 0, `${target.host} is in a blocked IP range`);
        continue;
      }
      try {
        return await this.open(destination, target, path, headers, options);
      } catch (error) {
        // As in FederationClient.request: only a failure to connect moves on to the next target.
        if (error instanceof FederationError && error.status !== 0) throw error;
        lastError = error as Error;
      }
    }
    throw lastError instanceof FederationError ? lastError : new FederationError(destination, 0, lastError.message);
  }

  private open(destination: string, target: ConnectionTarget, path: string, headers: Record<string, string>, options: FederationStreamOptions): Promise<FederationStream> {
    const requestOptions = { ...this.client.connectOptions(target, options.timeoutMs), method: "GET", path, headers: { ...headers, host: target.hostHeader } };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(requestOptions, (res) => {
        const status = res.statusCode ?? 502;
        if (status < 200 || status >= 300) {
          readErrcode(res).then((errcode) => reject(new FederationError(destination, status, `GET ${path} answered ${status}`, errcode)), reject);
          return;
        }
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          res.destroy();
          reject(new AnswerTooLargeError(destination, options.maxBytes));
          return;
        }
        resolve({ status, headers: res.headers, body: limitBytes(res, destination, options.maxBytes) });
      });
      // The timeout is of inactivity on the socket: it also ends a body that stops arriving.
      req.on("timeout", () => req.destroy(new Error(`timed out after ${requestOptions.timeout} ms`)));
      req.on("error", (error) => reject(new FederationError(destination, 0, error.message)));
      req.end();
    });
  }
}

/** The body, failing with AnswerTooLargeError past `maxBytes`; destroying it destroys the answer. */
function limitBytes(res: IncomingMessage, destination: string, maxBytes: number): Readable {
  let seen = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(new AnswerTooLargeError(destination, maxBytes));
      else callback(null, chunk);
    },
  });
  res.on("error", (error) => limiter.destroy(error));
  // A connection cut mid-body ends the answer without an error: it must not pass for a complete body.
  res.on("close", () => {
    if (!res.complete) limiter.destroy(new FederationError(destination, 502, "the answer was cut off"));
  });
  limiter.on("close", () => res.destroy());
  res.pipe(limiter);
  return limiter;
}

async function readErrcode(res: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ERROR_BYTES) break;
      chunks.push(chunk);
    }
  } catch {
    return undefined;
  } finally {
    res.destroy();
  }
  try {
    const json = parseStrictJson(Buffer.concat(chunks));
    if (json && typeof json === "object" && !Array.isArray(json) && typeof json["errcode"] === "string") return json["errcode"];
  } catch {
    // Not JSON: the status alone says what happened.
  }
  return undefined;
}
