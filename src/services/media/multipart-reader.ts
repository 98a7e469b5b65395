/**
 * Reads the `multipart/mixed` answer of a federation media download (server-server API "Content
 * Repository", RFC 2046 section 5.1) as it streams: the head (the JSON metadata part and the headers
 * of the second part) is collected, bounded; the second part's bytes are handed on as a stream that
 * ends at the closing delimiter, never held whole in memory.
 */
import { Readable } from "node:stream";

export interface MultipartMedia {
  /** The first part, parsed (the spec's metadata object, `{}` today); undefined when not JSON. */
  readonly metadata: unknown;
  /** The second part's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The second part's bytes (empty when the part is a `Location` redirect). */
  readonly body: Readable;
}

export class MultipartError extends Error {
  override name = "MultipartError";
}

/** The JSON part and the part headers are small; a head larger than this is not a media answer. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** The boundary of a `multipart/mixed` Content-Type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Splits the answer into its metadata, the media part's headers and a stream of the media's bytes. */
export async function readMultipartMedia(source: Readable, boundary: string): Promise<MultipartMedia> {
  // Every delimiter is CRLF "--" boundary; the first may open the body without the CRLF, so one is
  // put in front of what arrives.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buffer: Buffer = CRLF;
  try {
    for (;;) {
      const head = parseHead(buffer, delimiter);
      if (head) return { metadata: head.metadata, headers: head.headers, body: Readable.from(partBody(chunks, buffer.subarray(head.bodyStart), delimiter)) };
      if (buffer.length > MAX_HEAD_BYTES) throw new MultipartError("the multipart head is too large");
      const next = await chunks.next();
      if (next.done) throw new MultipartError("the multipart answer ended early");
      buffer = Buffer.concat([buffer, next.value]);
    }
  } catch (error) {
    source.destroy();
    throw error;
  }
}

interface Head {
  metadata: unknown;
  headers: Record<string, string>;
  bodyStart: number;
}

/** The head when all of it has arrived; undefined while more is needed; throws when it is malformed. */
function parseHead(buffer: Buffer, delimiter: Buffer): Head | undefined {
  const first = partAt(buffer, delimiter, 0);
  if (!first) return undefined;
  const firstEnd = buffer.indexOf(delimiter, first.bodyStart);
  if (firstEnd < 0) return undefined;
  const second = partAt(buffer, delimiter, firstEnd);
  if (!second) return undefined;
  const contentType = first.headers["content-type"] ?? "";
  let metadata: unknown;
  if (/^application\/json\b/i.test(contentType)) {
    try {
      metadata = JSON.parse(buffer.subarray(first.bodyStart, firstEnd).toString("utf8"));
    } catch {
      metadata = undefined;
    }
  }
  return { metadata, headers: second.headers, bodyStart: second.bodyStart };
}

/** The part whose delimiter starts at `at`: its headers and where its body starts. */
function partAt(buffer: Buffer, delimiter: Buffer, at: number): { headers: Record<string, string>; bodyStart: number } | undefined {
  const start = buffer.indexOf(delimiter, at);
  if (start < 0) return undefined;
  const afterDelimiter = start + delimiter.length;
  if (buffer.length < afterDelimiter + 2) return undefined;
  if (buffer.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") throw new MultipartError("the multipart answer has fewer than two parts");
  // The delimiter line may carry transport padding (spaces) before its CRLF.
  const lineEnd = buffer.indexOf(CRLF, afterDelimiter);
  if (lineEnd < 0) return undefined;
  if (buffer.subarray(afterDelimiter, lineEnd).toString("latin1").trim() !== "") throw new MultipartError("malformed multipart delimiter");
  const headersEnd = buffer.indexOf(HEADER_END, lineEnd);
  if (headersEnd < 0) return undefined;
  return { headers: parseHeaders(buffer.subarray(lineEnd + 2, headersEnd).toString("latin1")), bodyStart: headersEnd + HEADER_END.length };
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * The bytes from `start` up to the next delimiter. The last delimiter-length bytes are held back
 * each time, since the delimiter may straddle two chunks; the rest of the answer (the closing
 * delimiter and epilogue) is not read, and the source is released when this generator ends.
 */
async function* partBody(chunks: AsyncIterator<Buffer>, start: Buffer, delimiter: Buffer): AsyncGenerator<Buffer> {
  let buffer = start;
  try {
    for (;;) {
      const end = buffer.indexOf(delimiter);
      if (end >= 0) {
        if (end > 0) yield buffer.subarray(0, end);
        return;
      }
      const safe = buffer.length - (delimiter.length - 1);
      if (safe > 0) {
        yield buffer.subarray(0, safe);
        buffer = buffer.subarray(safe);
      }
      const next = await chunks.next();
      if (next.done) throw new MultipartError("the multipart answer ended inside the media part");
      buffer = buffer.length === 0 ? next.value : Buffer.concat([buffer, next.value]);
    }
  } finally {
    await chunks.return?.();
  }
}
