/**
 * Glob-style matching (appendices "Glob-style matching": `*` is zero or more characters, `?` exactly
 * one) as push rules use it: case-insensitive, against a whole value, or against any substring of
 * `content.body` that starts and ends at a word boundary (modules/push.md "event_match"). `[` and other
 * characters are literal: the spec defines no character classes.
 */

/** Characters that are not word characters for the word-boundary rule: not [A-Za-z0-9_]. */
const NON_WORD = "[^A-Za-z0-9_]";

/**
 * A substring starts at a word boundary when it is at the start of the value, follows a non-word
 * character, or itself begins with one (so `@room` matches in `x@room`, as Synapse matches it);
 * likewise at its end. In other words: a match never starts or ends in the middle of a word.
 */
const START = `(?:^|(?<=${NON_WORD})|(?=${NON_WORD}))`;
const END = `(?:$|(?=${NON_WORD})|(?<=${NON_WORD}))`;

function escapeRegex(text: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** The regular-expression source of a glob (code points, so `?` is one character even outside the BMP). */
export function globSource(glob: string): string {
  let out = "";
  for (const char of glob) {
    if (char === "*") out += "[\\s\\S]*";
    else if (char === "?") out += "[\\s\\S]";
    else out += escapeRegex(char);
  }
  return out;
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 20_000;

function cached(key: string, build: () => RegExp): RegExp {
  let regex = cache.get(key);
  if (!regex) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    regex = build();
    cache.set(key, regex);
  }
  return regex;
}

/** A matcher for the whole value (`wordBoundary` false) or for a word-bounded substring. */
export function globMatcher(glob: string, wordBoundary: boolean): RegExp {
  return cached(`${wordBoundary ? "w" : "v"}${glob}`, () =>
    new RegExp(wordBoundary ? `${START}${globSource(glob)}${END}` : `^${globSource(glob)}$`, "iu"),
  );
}

/** A matcher for a literal text as a word-bounded substring (display names). */
export function literalWordMatcher(text: string): RegExp {
  return cached(`l${text}`, () => new RegExp(`${START}${[...text].map(escapeRegex).join("")}${END}`, "iu"));
}

export function globMatches(glob: string, value: string, wordBoundary = false): boolean {
  return globMatcher(glob, wordBoundary).test(value);
}
