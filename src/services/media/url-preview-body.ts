/**
 * Reading a response body for URL previews with a size limit that holds after decompression too: a
 * Content-Length over the limit is refused before reading, and a body (or its decompressed form) that
 * grows past it is cut off and refused (Synapse's answer: 502 M_TOO_LARGE).
 */
import type { IncomingMessage } from "node:http";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { MatrixError } from "../../errors.js";

const tooLarge = (limit: number): MatrixError => new MatrixError(502, "M_TOO_LARGE", `Requested file is too large > ${limit} bytes`);

function decoded(response: IncomingMessage): Readable {
  const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "gzip" || encoding === "x-gzip") return response.pipe(createGunzip());
  if (encoding === "deflate") return response.pipe(createInflate());
  if (encoding === "br") return response.pipe(createBrotliDecompress());
  return response;
}

export async function readLimitedBody(response: IncomingMessage, limit: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    response.destroy();
    throw tooLarge(limit);
  }
  const stream = decoded(response);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      if (signal.aborted) throw new Error("timed out");
      total += (chunk as Buffer).length;
      if (total > limit) throw tooLarge(limit);
      chunks.push(chunk as Buffer);
    }
  } finally {
    response.destroy();
    if (stream !== response) stream.destroy();
  }
  return Buffer.concat(chunks);
}
