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

/**
 * An object's keys in code-point order. Objects of events and API bodies have a handful of keys, so an
 * insertion sort in place beats Array.prototype.sort, which copies the array into scratch storage on
 * every call (it was 6 % of all bytes a message send allocated).
 */
export function sortedKeys(value: object): string[] {
  return sortKeysInPlace(Object.keys(value));
}

/** Sorts a short array of keys in code-point order, in place (see sortedKeys); returns it. */
export function sortKeysInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && compareCodePoints(keys[j] as string, key) > 0) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

// Built by concatenation, not pieces joined at the end: V8 joins concatenated strings lazily, once,
// when the text is first read, without the array of pieces (a third of the encoder's allocations).
function encode(value: JsonValue, lenient: boolean): string {
  switch (typeof value) {
    case "string":
      return encodeString(value);
    case "number":
    case "bigint":
      return encodeNumber(value, lenient);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      throw new CanonicalJsonError(`cannot encode a ${typeof value}`);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += encode(value[i] as JsonValue, lenient);
    }
    return `${out}]`;
  }
  let out = "{";
  for (const key of sortedKeys(value)) {
    const item = value[key];
    if (item === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${encodeString(key)}:${encode(item, lenient)}`;
  }
  return `${out}}`;
}

/** The canonical JSON text of a value. Throws CanonicalJsonError for values it cannot represent. */
export function canonicalJson(value: JsonValue, options: CanonicalJsonOptions = {}): string {
  return encode(value, options.lenient ?? false);
}

/** The canonical JSON of a value as UTF-8 bytes, ready to hash or sign. */
export function canonicalJsonBytes(value: JsonValue, options: CanonicalJsonOptions = {}): Buffer {
  return Buffer.from(canonicalJson(value, options), "utf8");
}
