/**
 * HTTP/1.1 over a bare socket, for requests fetch cannot make: a body that never finishes (a huge
 * Content-Length of which only a few bytes are sent, or a client that hangs up halfway) and a chunked
 * body streamed until the server answers.
 */
import net from "node:net";

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface RawRequest {
  /** The server's base URL (`http://127.0.0.1:PORT`). */
  url: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
}

function head(request: RawRequest, extra: Record<string, string>): string {
  const { host } = new URL(request.url);
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${host}`];
  for (const [name, value] of Object.entries({ ...(request.headers ?? {}), ...extra })) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function connect(url: string): net.Socket {
  const { hostname, port } = new URL(url);
  return net.connect(Number(port), hostname);
}

/** Collects one response from the socket; resolves once its Content-Length bytes of body are in. */
function readAnswer(socket: net.Socket, timeoutMs: number, what: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${what}`));
    }, timeoutMs);
    const tryParse = (): void => {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const [statusLine, ...headerLines] = buffer.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? "0");
      const body = buffer.subarray(end + 4);
      if (body.length < length) return;
      clearTimeout(timer);
      const text = body.subarray(0, length).toString("utf8");
      resolve({
        status: Number(statusLine?.split(" ")[1]),
        headers,
        body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      tryParse();
    });
    // The server may close the connection right after answering while we are still writing.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`connection closed without an answer: ${what}`));
    });
  });
}

/**
 * Declares a body of `declaredLength` bytes, sends only `firstBytes` of it and waits for the answer:
 * a server that checks Content-Length before buffering answers; one that waits for the body never does.
 */
export async function sendHeadOfHugeBody(request: RawRequest, declaredLength: number, firstBytes: string, timeoutMs = 10_000): Promise<RawAnswer> {
  const socket = connect(request.url);
  const answer = readAnswer(socket, timeoutMs, `${request.method} ${request.path} with Content-Length ${declaredLength}`);
  socket.write(head(request, { "Content-Type": "application/json", "Content-Length": String(declaredLength) }) + firstBytes);
  try {
    return await answer;
  } finally {
    socket.destroy();
  }
}

/**
 * Streams a chunked body of `chunkBytes`-sized chunks until the server answers (or `maxBytes` went
 * out); returns the answer and how many body bytes were written before it came.
 */
export async function streamChunkedUntilAnswered(
  request: RawRequest,
  chunkBytes: number,
  maxBytes: number,
  timeoutMs = 10_000,
): Promise<RawAnswer & { bytesSent: number }> {
  const socket = connect(request.url);
  let answered = false;
  let bytesSent = 0;
  const answer = readAnswer(socket, timeoutMs, `chunked ${request.method} ${request.path}`).finally(() => {
    answered = true;
  });
  socket.write(head(request, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" }));
  const chunk = `${chunkBytes.toString(16)}\r\n${"x".repeat(chunkBytes)}\r\n`;
  const writeMore = (): void => {
    while (!answered && !socket.destroyed && bytesSent < maxBytes) {
      bytesSent += chunkBytes;
      if (!socket.write(chunk)) {
        socket.once("drain", writeMore);
        return;
      }
    }
  };
  socket.write(`1\r\n[\r\n`); // a JSON start, so only the size can be what is wrong
  writeMore();
  try {
    return { ...(await answer), bytesSent };
  } finally {
    socket.destroy();
  }
}

/**
 * Sends the head and the first part of a body, then hangs up without finishing it. Resolves after
 * `lingerMs`, once the server has seen the connection go.
 */
export async function abortHalfway(request: RawRequest, declaredLength: number, part: string, lingerMs = 200): Promise<void> {
  const socket = connect(request.url);
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  socket.write(head(request, { "Content-Type": "application/json", "Content-Length": String(declaredLength) }) + part);
  await new Promise((resolve) => setTimeout(resolve, lingerMs));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, lingerMs));
}
