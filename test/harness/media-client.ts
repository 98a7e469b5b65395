/**
 * Media requests for tests: uploads of exact bytes, downloads that keep the bytes (ApiClient reads
 * text), and streamed uploads and downloads of large generated content that never exists whole in
 * memory, hashed on the way.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { ApiClient, ApiResponse } from "./client.js";
import type { TestServer } from "./server.js";

export const MEDIA_V3 = "/_matrix/media/v3";
export const MEDIA_V1 = "/_matrix/media/v1";
export const CLIENT_MEDIA = "/_matrix/client/v1/media";

/** POST /_matrix/media/v3/upload with these exact bytes. */
export function uploadBytes(client: ApiClient, bytes: Buffer, options: { contentType?: string; filename?: string; token?: string | null } = {}): Promise<ApiResponse> {
  const query = options.filename !== undefined ? `?filename=${encodeURIComponent(options.filename)}` : "";
  return client.request("POST", `${MEDIA_V3}/upload${query}`, undefined, {
    rawBody: bytes,
    headers: options.contentType !== undefined ? { "content-type": options.contentType } : {},
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
}

/** The media ID of an mxc:// URI of the test server. */
export function mediaIdOf(contentUri: string): string {
  const match = /^mxc:\/\/[^/]+\/([A-Za-z0-9_-]+)$/.exec(contentUri);
  if (!match) throw new Error(`not an mxc URI: ${contentUri}`);
  return match[1]!;
}

export interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** The body as JSON, when it is (errors). */
  json: Record<string, unknown> | undefined;
}

/** GET with the bytes kept; `token` null for none. */
export async function fetchBytes(baseUrl: string, path: string, token: string | null | undefined, headers: Record<string, string> = {}): Promise<Download> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, bytes, json };
}

/** Every blob file in the test server's media store (temporary files excluded). */
export function blobFiles(hs: TestServer): string[] {
  const root = join(hs.config.data_dir, "media", "content");
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (depth === 0 && name === "tmp") continue;
      if (depth === 2) found.push(name);
      else walk(join(dir, name), depth + 1);
    }
  };
  walk(root, 0);
  return found.sort();
}

/** Files left in the media store's temporary directory. */
export function tempFiles(hs: TestServer): string[] {
  try {
    return readdirSync(join(hs.config.data_dir, "media", "content", "tmp"));
  } catch {
    return [];
  }
}

const CHUNK_BYTES = 256 * 1024;

/**
 * Deterministic pseudo-random chunks: the same `seed` gives the same content. Each chunk is a new
 * buffer, since a socket may still hold the previous one when the next is made.
 */
function* generatedChunks(totalBytes: number, seed: number): Generator<Buffer> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < totalBytes; sent += CHUNK_BYTES) {
    const block = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let i = 0; i < block.length; i += 4) {
      // xorshift32: fast, and different for every block.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      block.writeUInt32LE(state >>> 0, i);
    }
    yield block.subarray(0, Math.min(block.length, totalBytes - sent));
  }
}

/**
 * Uploads `totalBytes` of generated content with a streamed body (Content-Length set), writing one
 * chunk at a time as the socket drains; resolves with the answer and the SHA-256 of what was sent.
 */
export function streamUpload(baseUrl: string, token: string, totalBytes: number, seed: number, contentType = "video/mp4"): Promise<{ status: number; body: Record<string, unknown>; sha256: string }> {
  const hash = createHash("sha256");
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${MEDIA_V3}/upload?filename=big.mp4`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": contentType, "content-length": String(totalBytes) },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const parts: Buffer[] = [];
      response.on("data", (part: Buffer) => parts.push(part));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown>, sha256: hash.digest("hex") }));
    });
    const chunks = generatedChunks(totalBytes, seed);
    const writeMore = (): void => {
      for (;;) {
        const next = chunks.next();
        if (next.done) {
          request.end();
          return;
        }
        hash.update(next.value);
        if (!request.write(next.value)) {
          request.once("drain", writeMore);
          return;
        }
      }
    };
    writeMore();
  });
}

/** Downloads while hashing, keeping nothing: status, SHA-256 and byte count of the body. */
export function streamDownload(baseUrl: string, path: string, token: string): Promise<{ status: number; sha256: string; size: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      const hash = createHash("sha256");
      let size = 0;
      response.on("data", (part: Buffer) => {
        size += part.length;
        hash.update(part);
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, sha256: hash.digest("hex"), size, headers: response.headers }));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

/** POST /upload with a chunked body (no Content-Length) of these bytes, sent in pieces. */
export function chunkedUpload(baseUrl: string, token: string, bytes: Buffer): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${MEDIA_V3}/upload`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" } });
    request.on("error", reject);
    request.on("response", (response) => {
      const parts: Buffer[] = [];
      response.on("data", (part: Buffer) => parts.push(part));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown> }));
    });
    for (let offset = 0; offset < bytes.length; offset += 64 * 1024) request.write(bytes.subarray(offset, offset + 64 * 1024));
    request.end();
  });
}
