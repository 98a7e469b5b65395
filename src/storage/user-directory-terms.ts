/**
 * Words for the user directory's prefix search. Text is lower-cased, decomposed and stripped of
 * combining marks (so "José" is found by "jose"), then split on everything that is not a letter or a
 * digit; a user ID gives the words of its localpart and server name, as Synapse's index does.
 */

/** Longest stored term (code points); query words are cut the same way, so prefixes still match. */
export const MAX_TERM_LENGTH = 64;

export function normaliseForSearch(text: string): string {
  return text.toLowerCase().normalize("NFKD").replace(/\p{M}+/gu, "");
}

/** The words of `text`, normalised and cut to MAX_TERM_LENGTH. */
export function searchWords(text: string): string[] {
  const out: string[] = [];
  for (const word of normaliseForSearch(text).split(/[^\p{L}\p{N}]+/u)) {
    if (word.length === 0) continue;
    const points = [...word];
    out.push(points.length > MAX_TERM_LENGTH ? points.slice(0, MAX_TERM_LENGTH).join("") : word);
  }
  return out;
}

/** The distinct terms a user is found by. */
export function directoryTerms(userId: string, displayName: string | null): string[] {
  const terms = new Set(searchWords(userId));
  if (displayName) for (const word of searchWords(displayName)) terms.add(word);
  return [...terms];
}
