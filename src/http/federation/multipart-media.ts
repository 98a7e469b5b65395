/**
 * The answer of the federation media endpoints (server-server API "Content Repository"): a
 * `multipart/mixed` body of exactly two parts, the JSON metadata (`{}`, all the spec defines today)
 * and the media with its Content-Type and Content-Disposition. The media part is streamed from the
 * storage between the head and the closing delimiter, never held whole in memory.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { HttpResponse } from "../route.js";

export interface MediaPart {
  readonly contentType: string;
  readonly contentDisposition: string;
  /** The bytes, whole (thumbnails) or as a stream of `size` bytes. */
  readonly body: Buffer | Readable;
  readonly size: number;
}

/** The 200 answer carrying `part`. */
export function multipartMediaResponse(part: MediaPart): HttpResponse {
  // 32 hex digits of randomness: no media contains the delimiter by chance (RFC 2046 asks only that
  // the boundary not occur in the parts).
  const boundary = randomBytes(16).toString("hex");
  const head = Buffer.from(
    `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n` +
      `--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Disposition: ${part.contentDisposition}\r\n\r\n`,
    "latin1",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const media = part.body;
  // Destroying the answer (the caller hung up) ends the generator, which destroys the media stream.
  const body = Readable.from(
    (async function* () {
      yield head;
      if (Buffer.isBuffer(media)) yield media;
      else yield* media as AsyncIterable<Buffer>;
      yield tail;
    })(),
  );
  return new HttpResponse(200, body, {
    "content-type": `multipart/mixed; boundary=${boundary}`,
    "content-length": String(head.length + part.size + tail.length),
  });
}
