/**
 * The validating scanner of the strict JSON parser: a complete check of the text, character by
 * character, that throws a JsonParseError naming the first problem and where it is. It proves the text
 * is RFC 8259 JSON that Matrix allows: well-formed escapes with no lone surrogate, numbers the mode
 * allows, no duplicate keys, nesting within the limit.
 *
 * It is the reference for what we accept, and it produces every error message; the fast path
 * (strict-json-fast.ts) only decides whether the text is fine and calls this scanner when it is not.
 * Iterative (an explicit container stack) so hostile nesting can only hit `maxDepth`, never the call stack.
 */
import { JsonParseError } from "./strict-json-error.js";
import { judgeNumber, NUMBER_BUILD, unicodeEscapeLength } from "./strict-json-tokens.js";

const ARRAY = 0;
const OBJECT = 1;

/**
 * Set by the number scanner when JSON.parse would not give the value we want (see judgeNumber).
 * Module state is safe: scanning is synchronous and never re-entered.
 */
let needsBuild = false;
/** Set by scanString: whether the string just scanned contained an escape. */
let stringHadEscape = false;

function syntaxError(detail: string, position: number): JsonParseError {
  return new JsonParseError("syntax", detail, position);
}

function valueError(detail: string, position: number): JsonParseError {
  return new JsonParseError("value", detail, position);
}

function unexpected(text: string, i: number, wanted: string): JsonParseError {
  if (i >= text.length) return syntaxError(`unexpected end of input, expected ${wanted}`, i);
  return syntaxError(`unexpected character ${JSON.stringify(text[i])}, expected ${wanted}`, i);
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    // JSON white space is exactly these four; U+00A0, U+FEFF and friends are errors.
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** Checks the escape at `i` (a backslash); returns the index after it. */
function scanEscape(text: string, i: number): number {
  switch (text.charCodeAt(i + 1)) {
    case 0x22: // "
    case 0x5c: // \
    case 0x2f: // /
    case 0x62: // b
    case 0x66: // f
    case 0x6e: // n
    case 0x72: // r
    case 0x74: // t
      return i + 2;
    case 0x75: {
      const length = unicodeEscapeLength(text, i);
      if (length < 0) throw syntaxError("invalid \\u escape", i);
      if (length === 0) throw syntaxError("lone surrogate in \\u escape", i);
      return i + length;
    }
    default:
      if (i + 1 >= text.length) throw syntaxError("unterminated string", i);
      throw syntaxError("invalid escape", i);
  }
}

/** Checks the string starting at `start` (a quote); returns the index after its closing quote. */
function scanString(text: string, start: number): number {
  let i = start + 1;
  stringHadEscape = false;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c >= 0x20 && c !== 0x5c) {
      i++;
    } else if (c === 0x5c) {
      stringHadEscape = true;
      i = scanEscape(text, i);
    } else if (i >= text.length) {
      throw syntaxError("unterminated string", start);
    } else {
      throw syntaxError("unescaped control character in string", i);
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Checks the number starting at `start`; returns the index after it. Rules null: syntax only. */
function scanNumber(text: string, start: number, rules: ScanRules | null): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30) {
    i++;
    if (isDigit(text.charCodeAt(i))) throw syntaxError("leading zero in number", start);
  } else if (first >= 0x31 && first <= 0x39) {
    i++;
    while (isDigit(text.charCodeAt(i))) i++;
  } else {
    throw unexpected(text, i, "a digit");
  }
  const integerEnd = i;
  let integer = true;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(text.charCodeAt(i))) throw unexpected(text, i, "a digit after '.'");
    while (isDigit(text.charCodeAt(i))) i++;
    integer = false;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) throw unexpected(text, i, "a digit in the exponent");
    while (isDigit(text.charCodeAt(i))) i++;
    integer = false;
  }
  if (rules === null) return i;
  const verdict = judgeNumber(text, start, integerEnd, i, integer, rules.lenient);
  if (typeof verdict === "string") throw valueError(verdict, start);
  if (verdict === NUMBER_BUILD) needsBuild = true;
  return i;
}

/** The string value of the key whose text is `text[start, end)` (quotes included). */
function keyOf(text: string, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(text.slice(start, end)) as string) : text.slice(start + 1, end - 1);
}

export interface ScanResult {
  /** JSON.parse(text) gives exactly the value the strict parser must return (else use buildJson). */
  plain: boolean;
  /** Members of all objects together, duplicates included (as the fast path counts them). */
  members: number;
}

export interface ScanRules {
  lenient: boolean;
  maxDepth: number;
  /** Look for duplicate keys (with a set of keys per object). */
  findDuplicates: boolean;
}

/**
 * Validates `text` as JSON, throwing JsonParseError at the first problem. With rules, the Matrix rules
 * apply (numbers, depth, and duplicate keys if asked); with null, only syntax and encoding (what
 * JSON.parse checks, plus lone surrogate escapes), so that a caller can report a syntax error in
 * preference to a value error that comes earlier in the text.
 */
export function scanJson(text: string, rules: ScanRules | null): ScanResult {
  const maxDepth = rules === null ? Infinity : rules.maxDepth;
  const findDuplicates = rules !== null && rules.findDuplicates;
  needsBuild = false;
  const length = text.length;
  const stack: number[] = [];
  // One key set per nesting level, reused (cleared) for each object opened at that level.
  const keySets: Set<string>[] = [];
  let depth = 0;
  let members = 0;
  let i = skipWhitespace(text, 0);

  for (;;) {
    // A value starts at i.
    const c = text.charCodeAt(i);
    let key = false;
    if (c === 0x7b || c === 0x5b) {
      if (depth >= maxDepth) throw valueError(`nesting deeper than ${maxDepth}`, i);
      i = skipWhitespace(text, i + 1);
      if (c === 0x7b) {
        if (text.charCodeAt(i) === 0x7d) {
          i++;
        } else {
          stack[depth++] = OBJECT;
          if (findDuplicates) (keySets[depth] ??= new Set()).clear();
          key = true;
        }
      } else if (text.charCodeAt(i) === 0x5d) {
        i++;
      } else {
        stack[depth++] = ARRAY;
        continue;
      }
    } else if (c === 0x22) {
      i = scanString(text, i);
    } else if (c === 0x2d || isDigit(c)) {
      i = scanNumber(text, i, rules);
    } else if (c === 0x74 && text.startsWith("true", i)) {
      i += 4;
    } else if (c === 0x66 && text.startsWith("false", i)) {
      i += 5;
    } else if (c === 0x6e && text.startsWith("null", i)) {
      i += 4;
    } else if (c === 0xfeff && i === 0) {
      throw syntaxError("byte order mark before JSON text", 0);
    } else {
      throw unexpected(text, i, "a JSON value");
    }

    // After a value: separators and closing brackets until the next value or key starts.
    while (!key) {
      i = skipWhitespace(text, i);
      if (depth === 0) {
        if (i < length) throw syntaxError("trailing characters after the JSON value", i);
        return { plain: !needsBuild, members };
      }
      const inObject = stack[depth - 1] === OBJECT;
      const d = text.charCodeAt(i);
      if (d === 0x2c) {
        i = skipWhitespace(text, i + 1);
        if (!inObject) break;
        key = true;
      } else if (d === (inObject ? 0x7d : 0x5d)) {
        depth--;
        i++;
      } else {
        throw unexpected(text, i, inObject ? "',' or '}'" : "',' or ']'");
      }
    }

    if (key) {
      // `"key" :` then the value.
      if (text.charCodeAt(i) !== 0x22) throw unexpected(text, i, "a string key");
      const end = scanString(text, i);
      members++;
      if (findDuplicates) {
        const keys = keySets[depth] as Set<string>;
        const name = keyOf(text, i, end, stringHadEscape);
        if (keys.has(name)) throw valueError(`duplicate key ${JSON.stringify(name)}`, i);
        keys.add(name);
      }
      const colon = skipWhitespace(text, end);
      if (text.charCodeAt(colon) !== 0x3a) throw unexpected(text, colon, "':'");
      i = skipWhitespace(text, colon + 1);
    }
  }
}
