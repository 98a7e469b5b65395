/**
 * The building pass of the strict JSON parser, for text that scanJson has already accepted. It is used
 * only where JSON.parse cannot give the right value: integers beyond the safe range (kept exact as
 * bigint) and integer -0 (returned as 0). Because the text is known to be valid, it does no checking.
 *
 * Iterative, like the scanner, so depth is bounded by memory rather than by the call stack.
 */
import type { JsonObject, JsonValue } from "./json.js";

/** A run of string characters with no quote and no backslash. */
const STRING_RUN = /[^"\\]*/y;
/** The rest of a number after its first character. */
const NUMBER_TAIL = /[0-9]*(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Index after the closing quote of the (valid) string starting at `start`. */
let stringEnd = 0;

/** The value of the (valid) string starting at `start`; sets stringEnd. */
function readString(text: string, start: number): string {
  let i = start + 1;
  let escaped = false;
  for (;;) {
    STRING_RUN.lastIndex = i;
    STRING_RUN.test(text);
    i = STRING_RUN.lastIndex;
    if (text.charCodeAt(i) === 0x22) break;
    escaped = true;
    i += 2; // skip the backslash and the character after it; \uXXXX's hex digits are plain
  }
  stringEnd = i + 1;
  return escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
}

let numberEnd = 0;

/** The value of the (valid, allowed) number starting at `start`; sets numberEnd. */
function readNumber(text: string, start: number): number | bigint {
  NUMBER_TAIL.lastIndex = start + 1;
  const match = NUMBER_TAIL.exec(text) as RegExpExecArray;
  numberEnd = NUMBER_TAIL.lastIndex;
  const token = text.slice(start, numberEnd);
  const value = Number(token);
  if (match[1] !== undefined || match[2] !== undefined) return value; // a float (lenient mode only)
  if (Number.isSafeInteger(value)) return value === 0 ? 0 : value; // -0 becomes 0
  return BigInt(token);
}

/** Adds a member as an own data property, even for the key "__proto__", which assignment would not. */
function setMember(object: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** Builds the value of JSON text that scanJson accepted. */
export function buildJson(text: string): JsonValue {
  const containers: (JsonValue[] | JsonObject)[] = [];
  const keys: string[] = [];
  let i = skipWhitespace(text, 0);

  for (;;) {
    let value: JsonValue;
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      const object: JsonObject = {};
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        value = object;
      } else {
        containers.push(object);
        keys.push(readString(text, i));
        i = skipWhitespace(text, skipWhitespace(text, stringEnd) + 1);
        continue;
      }
    } else if (c === 0x5b) {
      const array: JsonValue[] = [];
      i = skipWhitespace(text, i + 1);
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        value = array;
      } else {
        containers.push(array);
        continue;
      }
    } else if (c === 0x22) {
      value = readString(text, i);
      i = stringEnd;
    } else if (c === 0x74) {
      value = true;
      i += 4;
    } else if (c === 0x66) {
      value = false;
      i += 5;
    } else if (c === 0x6e) {
      value = null;
      i += 4;
    } else {
      value = readNumber(text, i);
      i = numberEnd;
    }

    // Attach the value to its container, closing containers as their brackets come.
    for (;;) {
      const top = containers[containers.length - 1];
      if (top === undefined) return value;
      if (Array.isArray(top)) top.push(value);
      else setMember(top, keys[keys.length - 1] as string, value);
      i = skipWhitespace(text, i);
      if (text.charCodeAt(i) === 0x2c) {
        i = skipWhitespace(text, i + 1);
        if (!Array.isArray(top)) {
          keys[keys.length - 1] = readString(text, i);
          i = skipWhitespace(text, skipWhitespace(text, stringEnd) + 1);
        }
        break;
      }
      i++; // the closing bracket
      containers.pop();
      if (!Array.isArray(top)) keys.pop();
      value = top;
    }
  }
}
