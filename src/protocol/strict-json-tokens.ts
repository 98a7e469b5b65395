/**
 * Token-level rules of the strict JSON parser, shared by the validating scanner and the fast check so
 * that both passes agree exactly: what a number token becomes, and reading \u escapes.
 */

const MAX_SAFE_INTEGER = 9007199254740991;

/**
 * Lenient mode keeps integers of any size, but a million-digit integer would make BigInt() (quadratic in
 * the digit count) a CPU sink. CPython, which Synapse runs on, refuses integer strings of more than 4300
 * digits since 3.11 (sys.int_info.default_max_str_digits), so no event we could share with it is longer.
 */
export const MAX_LENIENT_INTEGER_DIGITS = 4300;

/** JSON.parse gives the right value. */
export const NUMBER_PLAIN = 0;
/** The value must be built by us: an integer -0 (returned as 0) or a bigint. */
export const NUMBER_BUILD = 1;

/**
 * Judges the number `text[start, end)` whose integer part ends at `integerEnd`; `integer` says it has
 * neither fraction nor exponent. Returns NUMBER_PLAIN, NUMBER_BUILD, or the detail of a value error.
 */
export function judgeNumber(
  text: string,
  start: number,
  integerEnd: number,
  end: number,
  integer: boolean,
  lenient: boolean,
): number | string {
  if (!integer) {
    if (!lenient) return "floats and exponents are not allowed";
    // 1e400 is valid JSON but not a finite double; we do not invent Infinity.
    return Number.isFinite(Number(text.slice(start, end))) ? NUMBER_PLAIN : "number out of range";
  }
  const negative = text.charCodeAt(start) === 0x2d;
  const digits = integerEnd - start - (negative ? 1 : 0);
  if (digits === 1) {
    // -0 is valid JSON but canonical JSON has no negative zero. Python (Synapse) reads it as int 0 and
    // canonical JSON writes 0, so we accept it as 0 rather than refuse what Synapse takes; JSON.parse
    // would give -0, hence a build.
    return negative && text.charCodeAt(integerEnd - 1) === 0x30 ? NUMBER_BUILD : NUMBER_PLAIN;
  }
  if (digits < 16) return NUMBER_PLAIN; // at most 15 digits: always a safe integer
  // From 16 digits on, compare the value. Number() rounds monotonically, so anything above 2^53 - 1
  // converts to at least 2^53 and the comparison is exact.
  if (lenient) {
    if (digits > MAX_LENIENT_INTEGER_DIGITS) return "integer has too many digits";
    return Number.isSafeInteger(Number(text.slice(start, end))) ? NUMBER_PLAIN : NUMBER_BUILD;
  }
  if (digits > 16 || Math.abs(Number(text.slice(start, end))) > MAX_SAFE_INTEGER) {
    return "integer out of the range ±(2^53 - 1)";
  }
  return NUMBER_PLAIN;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20; // folds A-F onto a-f
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57;
  return -1;
}

/** The code unit written by the four hex digits at `i`, or -1 if they are not four hex digits. */
export function hex4(text: string, i: number): number {
  const a = hexDigit(text.charCodeAt(i));
  const b = hexDigit(text.charCodeAt(i + 1));
  const c = hexDigit(text.charCodeAt(i + 2));
  const d = hexDigit(text.charCodeAt(i + 3));
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * Length of the \u escape at `i` (a backslash followed by u) when it writes text: 6, or 12 for a high
 * surrogate escape followed at once by a low one. 0 when it writes a lone surrogate, which cannot be
 * encoded as UTF-8 and so could never be stored or signed; -1 when the hex digits are bad.
 */
export function unicodeEscapeLength(text: string, i: number): number {
  const unit = hex4(text, i + 2);
  if (unit < 0) return -1;
  if (unit < 0xd800 || unit > 0xdfff) return 6;
  if (unit <= 0xdbff && text.charCodeAt(i + 6) === 0x5c && text.charCodeAt(i + 7) === 0x75) {
    const low = hex4(text, i + 8);
    if (low >= 0xdc00 && low <= 0xdfff) return 12;
  }
  return 0;
}
