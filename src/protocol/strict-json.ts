/**
 * The JSON parser for everything that comes from the network: request bodies and PDUs from other
 * servers. On top of RFC 8259 it refuses what Matrix cannot carry or sign: invalid UTF-8, a byte order
 * mark, lone surrogates (raw or escaped), duplicate keys, numbers outside the chosen mode, and nesting
 * deeper than a limit. See ARCHITECTURE.md, "JSON from the network".
 *
 * Design, for speed (this runs on every request): V8's JSON.parse, native, parses the text and so proves
 * its syntax; a light pass over the text (strict-json-fast.ts) then checks what JSON.parse does not
 * (surrogate escapes, numbers, depth) and a count of keys detects duplicates. JSON.parse's value is then
 * the right one: ECMA-404, its grammar, is RFC 8259's; with no duplicate key nothing was collapsed; every
 * number is either a safe integer other than -0 or (lenient mode) a float, which JSON.parse and Number()
 * round alike; and JSON.parse defines "__proto__" as an own property (ECMA-262 does not apply the
 * object-literal __proto__ rule there). Only when a number needs more (bigint, or -0 as 0) does our own
 * builder (strict-json-build.ts) make the value. Any refusal reruns the input through the validating
 * scanner (strict-json-scan.ts), which is the reference for what we accept and writes every message.
 */
import type { JsonValue } from "./json.js";
import { buildJson } from "./strict-json-build.js";
import { JsonParseError } from "./strict-json-error.js";
import { checkKeyCount, checkParsedText, memberCount, TEXT_BUILD, TEXT_REFUSED } from "./strict-json-fast.js";
import { scanJson } from "./strict-json-scan.js";
import { decodeUtf8, firstLoneSurrogate } from "./strict-json-utf8.js";

export { JsonParseError } from "./strict-json-error.js";
export type { JsonParseErrorKind } from "./strict-json-error.js";
export { MAX_LENIENT_INTEGER_DIGITS } from "./strict-json-tokens.js";
export { findInvalidUtf8 } from "./strict-json-utf8.js";

export interface StrictJsonOptions {
  /**
   * "strict" (default; room versions 6+ and the client API): integers in ±(2^53 − 1) only, no fraction
   * or exponent. "lenient" (events of room versions 1–5): integers of any size kept exact (bigint beyond
   * the safe range), floats as numbers.
   */
  mode?: "strict" | "lenient";
  /** Accept an object with the same key twice, keeping the last value (as JSON.parse). Default false. */
  allowDuplicateKeys?: boolean;
  /** Most containers nested in one another; deeper input is refused. Default 256. */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 256;

/**
 * The error in text the fast path refused, from the validating scanner. Syntax errors come first, so
 * that text which is not JSON at all is reported as such (M_NOT_JSON) even if a float comes before the
 * broken part; then the first breach of the Matrix rules in document order. If the scanner finds nothing
 * (a bug: the passes disagree) we still refuse rather than return a doubtful value.
 */
function locateError(text: string, lenient: boolean, maxDepth: number): JsonParseError {
  try {
    scanJson(text, null);
    scanJson(text, { lenient, maxDepth, findDuplicates: true });
  } catch (error) {
    if (error instanceof JsonParseError) return error;
    throw error;
  }
  return new JsonParseError("syntax", "not valid JSON", 0);
}

function parseText(text: string, options: StrictJsonOptions): JsonValue {
  const lenient = options.mode === "lenient";
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    throw locateError(text, lenient, maxDepth);
  }
  const status = checkParsedText(text, lenient, maxDepth);
  if (status === TEXT_REFUSED) throw locateError(text, lenient, maxDepth);
  if (status === TEXT_BUILD) value = buildJson(text);
  if (options.allowDuplicateKeys !== true && !checkKeyCount(value, memberCount)) {
    throw locateError(text, lenient, maxDepth);
  }
  return value;
}

/**
 * Parses JSON from the network. Bytes must be UTF-8 without a byte order mark; a string must be
 * well-formed UTF-16 (no lone surrogates). Throws JsonParseError: kind "syntax" for anything that is not
 * JSON text (M_NOT_JSON), kind "value" for valid JSON we refuse (M_BAD_JSON).
 */
export function parseStrictJson(input: Uint8Array | string, options: StrictJsonOptions = {}): JsonValue {
  if (typeof input === "string") {
    // One-byte (Latin-1) strings, the common case, answer isWellFormed() without a scan.
    if (!input.isWellFormed()) {
      throw new JsonParseError("syntax", "lone surrogate in text", firstLoneSurrogate(input));
    }
    return parseText(input, options);
  }
  const text = decodeUtf8(input);
  try {
    return parseText(text, options);
  } catch (error) {
    if (!(error instanceof JsonParseError)) throw error;
    // Report the position in bytes, which is what the caller holds.
    const bytePosition = Buffer.byteLength(text.slice(0, error.position), "utf8");
    throw new JsonParseError(error.kind, error.detail, bytePosition, "byte");
  }
}
