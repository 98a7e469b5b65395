/**
 * The fast path of the strict JSON parser: checks of text that JSON.parse has already accepted.
 *
 * JSON.parse (native) has proved the syntax: every string is terminated, every escape well-formed, every
 * bracket matched. What it does not check is what Matrix adds: lone surrogate escapes, numbers outside the
 * mode, nesting depth and duplicate keys. Those need only a light pass: string contents, most of the
 * text, are jumped over with indexOf (native) instead of being read character by character, and
 * duplicate keys are found by counting (checkKeyCount). This pass only answers yes or no; when the answer
 * is no, the validating scanner runs to say what is wrong and where.
 */
import type { JsonValue } from "./json.js";
import { judgeNumber, NUMBER_BUILD, unicodeEscapeLength } from "./strict-json-tokens.js";

/** JSON.parse's value is the right one. */
export const TEXT_PLAIN = 0;
/** The text is acceptable, but its value must be made by buildJson (bigint or -0). */
export const TEXT_BUILD = 1;
/** The text breaks a rule: run the validating scanner for the error. */
export const TEXT_REFUSED = 2;

/** Members counted by the last checkParsedText, for checkKeyCount. */
export let memberCount = 0;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Checks text that JSON.parse accepted against the Matrix rules; returns TEXT_PLAIN, TEXT_BUILD or
 * TEXT_REFUSED and leaves the number of object members, duplicates included, in memberCount.
 */
export function checkParsedText(text: string, lenient: boolean, maxDepth: number): number {
  const length = text.length;
  let status = TEXT_PLAIN;
  let depth = 0;
  let members = 0;
  // Backslashes occur only inside strings; the next one is found once and reused until passed.
  let nextBackslash = text.indexOf("\\");
  if (nextBackslash < 0) nextBackslash = length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      while (nextBackslash < end) {
        // An escape inside this string; the quote found may be the escaped one.
        let after = nextBackslash + 2;
        if (text.charCodeAt(nextBackslash + 1) === 0x75) {
          const escapeLength = unicodeEscapeLength(text, nextBackslash);
          if (escapeLength <= 0) return TEXT_REFUSED;
          after = nextBackslash + escapeLength;
        }
        if (end < after) end = text.indexOf('"', after);
        nextBackslash = text.indexOf("\\", after);
        if (nextBackslash < 0) nextBackslash = length;
      }
      i = end + 1;
    } else if (c === 0x3a) {
      members++;
      i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return TEXT_REFUSED;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      i++;
    } else if (c === 0x2d || isDigit(c)) {
      const start = i;
      if (c === 0x2d) i++;
      while (isDigit(text.charCodeAt(i))) i++;
      const integerEnd = i;
      let integer = true;
      if (text.charCodeAt(i) === 0x2e) {
        integer = false;
        i++;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      const e = text.charCodeAt(i);
      if (e === 0x65 || e === 0x45) {
        integer = false;
        i++;
        const sign = text.charCodeAt(i);
        if (sign === 0x2b || sign === 0x2d) i++;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      const verdict = judgeNumber(text, start, integerEnd, i, integer, lenient);
      if (typeof verdict === "string") return TEXT_REFUSED;
      if (verdict === NUMBER_BUILD) status = TEXT_BUILD;
    } else {
      i++; // white space, commas, and the letters of true, false and null
    }
  }
  memberCount = members;
  return status;
}

/**
 * Whether a parsed value kept every member the text had, i.e. the text had no duplicate key.
 * JSON.parse (like buildJson) keeps the last of duplicate keys, so the own keys of all objects add up to
 * the member count exactly when there was no duplicate: every object then keeps all its members, while
 * with a duplicate the outermost object holding one keeps fewer (and objects dropped with an overwritten
 * value only lower the sum). Iterative, because depth is bounded only by the caller's maxDepth.
 */
export function checkKeyCount(value: JsonValue, members: number): boolean {
  let count = 0;
  const pending: JsonValue[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item !== "object" || item === null) continue;
    if (Array.isArray(item)) {
      for (const element of item) if (typeof element === "object" && element !== null) pending.push(element);
    } else {
      const keys = Object.keys(item);
      count += keys.length;
      for (const key of keys) {
        const element = item[key] as JsonValue;
        if (typeof element === "object" && element !== null) pending.push(element);
      }
    }
  }
  return count === members;
}
