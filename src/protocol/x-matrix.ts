/**
 * Federation request authentication (server-server API "Request Authentication"): the JSON object a
 * request signature covers, and the `Authorization: X-Matrix ...` header that carries it. Parsing
 * follows RFC 9110's auth-param grammar as the spec asks (case-insensitive names in any order, quoted
 * or token values, backslash escapes, spaces and tabs around commas) and, for older servers, accepts
 * colons in unquoted values.
 */
import type { JsonValue } from "./json.js";
import { signBytes, signedBytes, verifyBytes } from "./signing.js";
import type { SigningKey } from "./signing-key.js";

export interface XMatrixAuth {
  origin: string;
  /** Absent from requests of servers older than spec v1.3. */
  destination?: string;
  key: string;
  sig: string;
}

export interface SignedRequest {
  method: string;
  /** The path with its query string, starting with `/_matrix/`. */
  uri: string;
  origin: string;
  destination: string;
  /** The parsed JSON body, when the request has one. */
  content?: JsonValue;
}

export class XMatrixError extends Error {
  override name = "XMatrixError";
}

/** The object that is signed: method, uri, origin, destination and content (only when there is a body). */
export function requestJson(request: SignedRequest): Record<string, JsonValue> {
  const json: Record<string, JsonValue> = { method: request.method, uri: request.uri, origin: request.origin, destination: request.destination };
  if (request.content !== undefined) json["content"] = request.content;
  return json;
}

/** The `Authorization` header value for a request signed with `key` (sent the way older servers read it). */
export function signRequest(request: SignedRequest, key: SigningKey): string {
  const sig = signBytes(signedBytes(requestJson(request)), key);
  return `X-Matrix origin="${request.origin}",destination="${request.destination}",key="${key.keyId}",sig="${sig}"`;
}

/** Whether `sig` is the signature of the request by the public key. */
export function verifyRequest(request: SignedRequest, sig: string, publicKey: Uint8Array): boolean {
  let bytes: Buffer;
  try {
    bytes = signedBytes(requestJson(request));
  } catch {
    return false;
  }
  return verifyBytes(bytes, sig, publicKey);
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parses one `Authorization` header value with the X-Matrix scheme; throws XMatrixError when it is not one. */
export function parseXMatrix(header: string): XMatrixAuth {
  const match = /^X-Matrix +/i.exec(header);
  if (!match) throw new XMatrixError("not an X-Matrix authorization");
  const params = new Map<string, string>();
  let i = match[0].length;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  for (;;) {
    skipSpace();
    const nameStart = i;
    while (i < n && TOKEN_CHAR.test(header[i] as string)) i++;
    const name = header.slice(nameStart, i).toLowerCase();
    if (name === "") throw new XMatrixError("expected a parameter name");
    skipSpace();
    if (header[i] !== "=") throw new XMatrixError(`expected = after ${name}`);
    i++;
    skipSpace();
    let value = "";
    if (header[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new XMatrixError("unterminated quoted value");
        const c = header[i] as string;
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\\") {
          if (i + 1 >= n) throw new XMatrixError("unterminated escape");
          value += header[i + 1];
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
    } else {
      const start = i;
      // Colons are tolerated in unquoted values (older servers send origin=example.org:8448 unquoted).
      while (i < n && (TOKEN_CHAR.test(header[i] as string) || header[i] === ":")) i++;
      value = header.slice(start, i);
      if (value === "") throw new XMatrixError(`empty value for ${name}`);
    }
    if (!params.has(name)) params.set(name, value);
    skipSpace();
    if (i >= n) break;
    if (header[i] !== ",") throw new XMatrixError("expected , between parameters");
    i++;
  }
  const origin = params.get("origin");
  const key = params.get("key");
  const sig = params.get("sig");
  if (origin === undefined || key === undefined || sig === undefined) throw new XMatrixError("origin, key and sig are required");
  const destination = params.get("destination");
  return { origin, key, sig, ...(destination !== undefined ? { destination } : {}) };
}

