/**
 * Canonical JSON (appendices: "Canonical JSON"): the shortest UTF-8 encoding, no insignificant white
 * space, object keys sorted by Unicode code point, integers only.
 *
 * Strict mode (room versions 6 and later, and everything outside events) allows only integers in
 * ±(2^53 − 1). Lenient mode exists for events of room versions 1–5, which may carry larger integers
 * (kept as bigint by the strict parser) and, rarely, floats.
 */
import type { JsonValue } from "./json.js";

export const MAX_SAFE_INTEGER = 2 ** 53 - 1;

export class CanonicalJsonError extends Error {
  override name = "CanonicalJsonError";
}

export interface CanonicalJsonOptions {
  /** Accept bigints and floats (room versions 1–5). Default false. */
  lenient?: boolean;
}

/**
 * Orders two strings by Unicode code point. JavaScript compares UTF-16 code units, which puts
 * characters above U+FFFF (surrogate pairs, D800–DFFF) before U+E000–U+FFFF; shifting the unit
 * ranges restores code-point order without decoding.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  if (unit < 0xe000) return unit + 0x2000; // surrogates encode code points above every BMP unit
  return unit - 0x800;
}

/** Characters that need an escape (controls, `"`, `\\`) or a well-formedness check (surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeString(text: string): string {
  // Most strings need nothing: quoting them directly is several times faster than JSON.stringify.
  if (!NEEDS_CARE.test(text)) return `"${text}"`;
  if (!text.isWellFormed()) throw new CanonicalJsonError("string contains a lone surrogate");
  // JSON.stringify already writes the shortest escapes of the canonical grammar: \b \t \n \f \r \" \\
  // and lowercase \u00XX for the remaining control characters; everything else is written as is.
  return JSON.stringify(text);
}

function encodeNumber(value: number | bigint, lenient: boolean): string {
  if (typeof value === "bigint") {
    if (!lenient && (value > BigInt(MAX_SAFE_INTEGER) || value < -BigInt(MAX_SAFE_INTEGER))) {
      throw new CanonicalJsonError("integer out of range");
    }
    return value.toString();
  }
  if (!Number.isFinite(value)) throw new CanonicalJsonError("NaN and Infinity are not JSON");
  if (Number.isInteger(value)) {
    if (!lenient && Math.abs(value) > MAX_SAFE_INTEGER) throw new CanonicalJsonError("integer out of range");
    return value === 0 ? "0" : String(value); // String(-0) is "0" already; explicit for the reader
  }
  if (!lenient) throw new CanonicalJsonError("floats are not allowed in canonical JSON");
  return JSON.stringify(value);
}

function encode(value: JsonValue, lenient: boolean, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(encodeString(value));
      return;
    case "number":
    case "bigint":
      out.push(encodeNumber(value, lenient));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "object":
      break;
    default:
      throw new CanonicalJsonError(`cannot encode a ${typeof value}`);
  }
  if (value === null) {
    out.push("null");
  } else if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      encode(value[i] as JsonValue, lenient, out);
    }
    out.push("]");
  } else {
    const keys = Object.keys(value).sort(compareCodePoints);
    out.push("{");
    let first = true;
    for (const key of keys) {
      const item = value[key];
      if (item === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(encodeString(key), ":");
      encode(item, lenient, out);
    }
    out.push("}");
  }
}

/** The canonical JSON text of a value. Throws CanonicalJsonError for values it cannot represent. */
export function canonicalJson(value: JsonValue, options: CanonicalJsonOptions = {}): string {
  const out: string[] = [];
  encode(value, options.lenient ?? false, out);
  return out.join("");
}

/** The canonical JSON of a value as UTF-8 bytes, ready to hash or sign. */
export function canonicalJsonBytes(value: JsonValue, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), "utf8");
}
