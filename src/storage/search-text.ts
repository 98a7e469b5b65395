/**
 * Text for the full-text index and search terms, normalised the same way for SQLite FTS5 and
 * PostgreSQL so that both databases find the same events: lower case, common Latin diacritics
 * removed, split into words of letters, digits and marks (everything else separates words), each
 * Han, Hiragana and Katakana character a word of its own (those scripts do not separate words with
 * spaces; a phrase of characters then finds a substring). The index stores the words joined by
 * spaces, so neither database's own parser (PostgreSQL's recognises e-mail addresses, URLs and file
 * names as single tokens) sees anything but plain words.
 *
 * Search terms: words must all occur (prefix matches, so `martian` finds `martians`); `"a phrase"`
 * must occur as written; `-word` must not occur; `OR` between terms gives alternatives. English stop
 * words standing alone are ignored on both databases (PostgreSQL's `english` configuration drops them
 * from its index, FTS5 keeps them: ignoring terms made only of stop words makes both answer alike).
 */

const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** PostgreSQL's English stop words (the Snowball list). */
const STOP_WORDS = new Set(
  (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its " +
    "itself they them their theirs themselves what which who whom this that these those am is are was were be been being have " +
    "has had having do does did doing a an the and but if or because as until while of at by for with about against between " +
    "into through during before after above below to from up down in out on off over under again further then once here there " +
    "when where why how all any both each few more most other some such no nor not only own same so than too very s t can will " +
    "just don should now"
  ).split(" "),
);

/** Most clauses a search term may have; the rest are ignored (keeps queries cheap). */
const MAX_CLAUSES = 32;

/** Most characters of an event's text that are indexed. */
const MAX_INDEXED_CHARS = 65_536;

/** The words of a text as the index sees them. */
export function searchWords(text: string): string[] {
  const normalised = text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").normalize("NFC").toLowerCase();
  const out: string[] = [];
  for (const match of normalised.matchAll(WORD)) {
    const word = match[0];
    if (!IDEOGRAPHIC.test(word)) {
      out.push(word);
      continue;
    }
    let run = "";
    for (const char of word) {
      if (IDEOGRAPHIC.test(char)) {
        if (run) out.push(run);
        run = "";
        out.push(char);
      } else run += char;
    }
    if (run) out.push(run);
  }
  return out;
}

/** The text stored in the index for an event's searchable text. */
export function indexText(text: string): string {
  return searchWords(text.slice(0, MAX_INDEXED_CHARS)).join(" ");
}

/** One term: a word (matched as a prefix) or a phrase (words in this order). */
export interface SearchClause {
  readonly words: readonly string[];
  readonly prefix: boolean;
}

/** Terms that must all match (`all`) and must not match (`none`). */
export interface SearchGroup {
  readonly all: readonly SearchClause[];
  readonly none: readonly SearchClause[];
}

export interface SearchQuery {
  /** Alternatives: an event matches when it matches one group. Empty: nothing can match. */
  readonly groups: readonly SearchGroup[];
  /** The words the positive terms look for (for highlights). */
  readonly words: readonly string[];
}

/** Parses a client's search term into a query both databases can run. */
export function parseSearchTerm(term: string): SearchQuery {
  const groups: { all: SearchClause[]; none: SearchClause[] }[] = [{ all: [], none: [] }];
  let clauses = 0;
  let i = 0;
  while (i < term.length && clauses < MAX_CLAUSES) {
    while (i < term.length && /\s/.test(term[i] as string)) i++;
    if (i >= term.length) break;
    let negated = false;
    if (term[i] === "-" && i + 1 < term.length && !/\s/.test(term[i + 1] as string)) {
      negated = true;
      i++;
    }
    let text: string;
    let quoted = false;
    if (term[i] === '"') {
      const end = term.indexOf('"', i + 1);
      text = term.slice(i + 1, end === -1 ? term.length : end);
      i = end === -1 ? term.length : end + 1;
      quoted = true;
    } else {
      const start = i;
      while (i < term.length && !/\s/.test(term[i] as string)) i++;
      text = term.slice(start, i);
    }
    if (!quoted && !negated && text.toLowerCase() === "or") {
      if ((groups[groups.length - 1] as SearchGroup).all.length > 0) groups.push({ all: [], none: [] });
      continue;
    }
    const words = searchWords(text);
    if (words.length === 0) continue;
    if (words.every((w) => STOP_WORDS.has(w))) continue;
    const clause: SearchClause = { words, prefix: !quoted && words.length === 1 };
    const group = groups[groups.length - 1] as { all: SearchClause[]; none: SearchClause[] };
    (negated ? group.none : group.all).push(clause);
    clauses++;
  }
  // A group with only exclusions cannot be expressed in FTS5 (NOT is binary there) and would match
  // almost everything: it is dropped.
  const usable = groups.filter((g) => g.all.length > 0);
  const words = [...new Set(usable.flatMap((g) => g.all.flatMap((c) => c.words)))];
  return { groups: usable, words };
}

/** The query in FTS5 syntax. Words contain only letters, digits and marks, so quoting is safe. */
export function toFts5Query(query: SearchQuery): string {
  const clause = (c: SearchClause): string => `"${c.words.join(" ")}"${c.prefix ? "*" : ""}`;
  return query.groups
    .map((g) => {
      const all = `(${g.all.map(clause).join(" AND ")})`;
      return g.none.length === 0 ? all : `(${all}${g.none.map((c) => ` NOT ${clause(c)}`).join("")})`;
    })
    .join(" OR ");
}

/** The query in PostgreSQL tsquery syntax, for `to_tsquery('english', ...)`. */
export function toTsQuery(query: SearchQuery): string {
  const clause = (c: SearchClause): string => (c.words.length === 1 ? `${c.words[0]}${c.prefix ? ":*" : ""}` : `(${c.words.join(" <-> ")})`);
  return query.groups
    .map((g) => `(${[...g.all.map(clause), ...g.none.map((c) => `!${clause(c)}`)].join(" & ")})`)
    .join(" | ");
}
