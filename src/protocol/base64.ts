/**
 * Unpadded Base64 (appendices: "Unpadded Base64") in the standard and URL-safe alphabets.
 * Decoding accepts input with or without padding, as the spec asks, but rejects characters outside the
 * alphabet (Buffer.from would silently skip them).
 */
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Padding, when present, must be exactly what RFC 4648 puts there (`Zm8=`, `Zg==`; never `Zm9v=`). */
function paddingIsValid(text: string): boolean {
  const body = text.replace(/=+$/, "");
  const padding = text.length - body.length;
  if (body.length % 4 === 1) return false;
  return padding === 0 || (text.length % 4 === 0 && padding === (4 - (body.length % 4)) % 4);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

export function decodeBase64(text: string): Buffer {
  if (!STANDARD.test(text) || !paddingIsValid(text)) {
    throw new Error("invalid base64");
  }
  return Buffer.from(text, "base64");
}

export function decodeBase64Url(text: string): Buffer {
  if (!URL_SAFE.test(text) || !paddingIsValid(text)) {
    throw new Error("invalid url-safe base64");
  }
  return Buffer.from(text, "base64url");
}

/** Decodes either alphabet: keys and signatures from other servers are sometimes URL-safe. */
export function decodeBase64Any(text: string): Buffer {
  return /[-_]/.test(text) ? decodeBase64Url(text) : decodeBase64(text);
}
