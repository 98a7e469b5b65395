/**
 * Open Graph data from an oEmbed JSON document (oEmbed 1.0, section 2.3.4): the title, the provider as
 * site name, the photo or thumbnail as image, and for rich and video embeds the text of their HTML as a
 * description; the author names the preview when nothing else does (as Synapse).
 */
import { Parser } from "htmlparser2";
import { parseStrictJson } from "../../protocol/strict-json.js";
import { isJsonObject } from "../../protocol/json.js";

const MAX_DESCRIPTION_CHARS = 500;

const text = (value: unknown): string | undefined => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);

/** The visible text of an HTML fragment (an embed's `html`), whitespace collapsed. */
function htmlText(html: string): string {
  let out = "";
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === "script" || name === "style") skipping++;
      },
      onclosetag(name) {
        if ((name === "script" || name === "style") && skipping > 0) skipping--;
      },
      ontext(chunk) {
        if (skipping === 0) out += ` ${chunk}`;
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.end(html);
  return out.replace(/\s+/g, " ").trim();
}

/** Open Graph keys from an oEmbed response body; empty when it is not an oEmbed JSON object. */
export function parseOembed(body: Buffer): Record<string, string> {
  let document: unknown;
  try {
    document = parseStrictJson(body, { mode: "lenient", allowDuplicateKeys: true });
  } catch {
    return {};
  }
  if (!isJsonObject(document)) return {};
  const og: Record<string, string> = {};
  const title = text(document["title"]) ?? text(document["author_name"]);
  if (title) og["og:title"] = title;
  const site = text(document["provider_name"]);
  if (site) og["og:site_name"] = site;
  const type = text(document["type"]);
  const image = (type === "photo" ? text(document["url"]) : undefined) ?? text(document["thumbnail_url"]);
  if (image) og["og:image"] = image;
  if (type === "video") og["og:type"] = "video.other";
  const html = text(document["html"]);
  if (html && (type === "rich" || type === "video")) {
    const description = htmlText(html).slice(0, MAX_DESCRIPTION_CHARS);
    if (description) og["og:description"] = description;
  }
  return og;
}
