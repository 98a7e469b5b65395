/**
 * Open Graph data from an HTML page, parsed with htmlparser2 (a tolerant, streaming HTML tokenizer):
 * `og:*` meta tags, with the page's <title>, meta description and Twitter card tags as fallbacks, and
 * the oEmbed document the page points to (<link rel="alternate" type="application/json+oembed">).
 */
import { Parser } from "htmlparser2";

export interface HtmlPreview {
  /** Open Graph keys to their first value, as strings. */
  readonly og: Record<string, string>;
  /** The oEmbed JSON URL the page advertises, resolved against the page URL. */
  readonly oembedUrl: string | undefined;
}

const PARSER_OPTIONS = { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true } as const;

/** Bytes looked at for a <meta charset> when the HTTP header names none (the HTML standard's prescan length). */
const CHARSET_PRESCAN_BYTES = 1024;

/** The charset a page declares in a <meta> tag near its start. */
function declaredCharset(body: Buffer): string | undefined {
  let charset: string | undefined;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name !== "meta" || charset !== undefined) return;
        if (attributes["charset"]) charset = attributes["charset"].trim();
        else if (attributes["http-equiv"]?.toLowerCase() === "content-type") {
          const match = /charset\s*=\s*["']?([^"';\s]+)/i.exec(attributes["content"] ?? "");
          if (match) charset = match[1];
        }
      },
    },
    PARSER_OPTIONS,
  );
  // Latin-1 maps every byte to one character, so the tags (ASCII) read correctly whatever the encoding.
  parser.end(body.subarray(0, CHARSET_PRESCAN_BYTES).toString("latin1"));
  return charset;
}

/** The page's text: the HTTP charset, else the <meta> one, else UTF-8; undecodable bytes become U+FFFD. */
export function decodeHtml(body: Buffer, headerCharset: string | undefined): string {
  for (const label of [headerCharset, declaredCharset(body), "utf-8"]) {
    if (!label) continue;
    try {
      return new TextDecoder(label).decode(body);
    } catch {
      // An unknown label: try the next source.
    }
  }
  return new TextDecoder("utf-8").decode(body);
}

const FALLBACKS: readonly (readonly [string, string])[] = [
  ["twitter:title", "og:title"],
  ["twitter:description", "og:description"],
  ["description", "og:description"],
  ["twitter:image", "og:image"],
  ["twitter:image:src", "og:image"],
];

/** Open Graph data and the oEmbed link of an HTML page. */
export function parseHtmlPreview(html: string, pageUrl: string): HtmlPreview {
  const og: Record<string, string> = {};
  const others: Record<string, string> = {};
  let oembedHref: string | undefined;
  let title: string | undefined;
  let inTitle = false;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === "title" && title === undefined) {
          inTitle = true;
          title = "";
        } else if (name === "meta") {
          const key = (attributes["property"] ?? attributes["name"] ?? "").trim().toLowerCase();
          const content = attributes["content"];
          if (!key || content === undefined) return;
          const target = key.startsWith("og:") ? og : others;
          if (!(key in target)) target[key] = content.trim();
        } else if (name === "link" && oembedHref === undefined) {
          const rel = (attributes["rel"] ?? "").toLowerCase().split(/\s+/);
          if (rel.includes("alternate") && attributes["type"]?.toLowerCase() === "application/json+oembed" && attributes["href"]) oembedHref = attributes["href"];
        }
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name === "title") inTitle = false;
      },
    },
    PARSER_OPTIONS,
  );
  parser.end(html);

  for (const [from, to] of FALLBACKS) if (og[to] === undefined && others[from]) og[to] = others[from]!;
  const cleanTitle = title?.replace(/\s+/g, " ").trim();
  if (og["og:title"] === undefined && cleanTitle) og["og:title"] = cleanTitle;
  return { og, oembedUrl: resolve(oembedHref, pageUrl) };
}

function resolve(href: string | undefined, base: string): string | undefined {
  if (href === undefined) return undefined;
  try {
    return new URL(href, base).href;
  } catch {
    return undefined;
  }
}
