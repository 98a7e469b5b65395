/**
 * URL previews (client-server API "GET /media/preview_url"): Open Graph data of a web page, with its
 * image stored as local media. Off unless configured (then 404 M_UNRECOGNIZED, as Synapse, which does
 * not serve the endpoint at all). Previews are kept per URL and time window of `cache_ttl_ms`: in
 * memory (which also makes concurrent requests for one URL share one fetch, and remembers failures
 * for a minute so that a failing site is not asked again at once) and in the database, where older
 * windows stay a day so that a client asking with an older `ts` gets the preview of that time.
 */
import { MatrixError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { Db } from "../../storage/db.js";
import type { UrlPreviewStore } from "../../storage/url-preview-store.js";
import type { Clock } from "../clock.js";
import type { PreviewFetcher } from "./url-preview-fetch.js";
import type * as HtmlParsing from "./url-preview-html.js";
import { storePreviewImage, type PreviewImageSink } from "./url-preview-image.js";
import type * as OembedParsing from "./url-preview-oembed.js";
import { lruCache } from "../../lru.js";

// The HTML parser and its entity tables are loaded at the first preview, not at start: most servers
// never build one, and every module loaded stays in memory for the life of the process.
let htmlParsing: Promise<typeof HtmlParsing> | undefined;
let oembedParsing: Promise<typeof OembedParsing> | undefined;
const loadHtmlParsing = (): Promise<typeof HtmlParsing> => (htmlParsing ??= import("./url-preview-html.js"));
const loadOembedParsing = (): Promise<typeof OembedParsing> => (oembedParsing ??= import("./url-preview-oembed.js"));

export interface UrlPreviewOptions {
  readonly enabled: boolean;
  readonly cacheTtlMs: number;
  readonly maxPixels: number;
  readonly serverName: string;
}

export type OpenGraph = Record<string, string | number>;

const PAGE_ACCEPT = "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.8";
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const FAILURE_MEMORY_MS = 60_000;
const HISTORY_MS = 86_400_000;
// Synapse's limits: longer keys or values are dropped rather than served.
const MAX_KEY_CHARS = 50;
const MAX_VALUE_CHARS = 1000;

interface Built {
  og: OpenGraph;
  imageMediaId: string | null;
}

export class UrlPreviewService {
  private readonly memory = lruCache<string, Promise<OpenGraph>>(1000, { ttlAutopurge: false });
  private lastCleanup = 0;

  constructor(
    private readonly db: Db,
    private readonly store: UrlPreviewStore,
    private readonly fetcher: PreviewFetcher,
    /** Where og:image images are stored; without one, previews carry no image. */
    private readonly sink: PreviewImageSink | undefined,
    private readonly clock: Clock,
    private readonly options: UrlPreviewOptions,
    private readonly log: Logger,
  ) {}

  /** The Open Graph data of a URL as of `ts` (now when absent or in the future). */
  async preview(url: string, ts: number | undefined, userId: string): Promise<OpenGraph> {
    if (!this.options.enabled) throw new MatrixError(404, "M_UNRECOGNIZED", "URL previews are disabled on this server");
    const now = this.clock.now();
    const window = this.windowOf(Math.min(ts ?? now, now));
    const key = `${window} ${url}`;
    let result = this.memory.get(key);
    if (!result) {
      result = this.lookupOrBuild(url, window, userId);
      this.memory.set(key, result, { ttl: this.options.cacheTtlMs });
      result.catch(() => this.memory.set(key, result!, { ttl: FAILURE_MEMORY_MS }));
    }
    return result;
  }

  private windowOf(ts: number): number {
    return Math.floor(ts / this.options.cacheTtlMs) * this.options.cacheTtlMs;
  }

  private async lookupOrBuild(url: string, window: number, userId: string): Promise<OpenGraph> {
    const stored = await this.store.get(this.db.kysely, url, window);
    if (stored) return stored.og as OpenGraph;
    const now = this.clock.now();
    const current = this.windowOf(now);
    if (current !== window) {
      // No preview of that time: the spec lets us answer with a newer one.
      const newer = await this.store.get(this.db.kysely, url, current);
      if (newer) return newer.og as OpenGraph;
    }
    const built = await this.build(url, userId);
    await this.store.put(this.db.kysely, url, { windowStart: current, fetchedTs: now, og: built.og, imageMediaId: built.imageMediaId });
    await this.cleanup(now);
    return built.og;
  }

  private async build(url: string, userId: string): Promise<Built> {
    const page = await this.fetcher.fetch(url, PAGE_ACCEPT);
    if (page.mediaType.startsWith("image/")) {
      const image = await this.image(page.url, userId);
      return { og: image?.og ?? {}, imageMediaId: image?.mediaId ?? null };
    }
    if (!HTML_TYPES.has(page.mediaType)) return { og: {}, imageMediaId: null };
    const { decodeHtml, parseHtmlPreview } = await loadHtmlParsing();
    const html = parseHtmlPreview(decodeHtml(page.body, page.charset), page.url);
    const oembed = html.oembedUrl ? await this.oembed(html.oembedUrl) : {};
    // The page's own tags win: many sites give full Open Graph data but only stubs over oEmbed (as Synapse).
    const og: OpenGraph = { ...oembed, ...html.og };
    let imageMediaId: string | null = null;
    const imageUrl = typeof og["og:image"] === "string" ? resolveUrl(og["og:image"], page.url) : undefined;
    for (const key of Object.keys(og)) if (key === "og:image" || (key.startsWith("og:image:") && key !== "og:image:alt")) delete og[key];
    if (imageUrl) {
      const image = await this.image(imageUrl, userId);
      if (image) {
        Object.assign(og, image.og);
        imageMediaId = image.mediaId;
      }
    }
    return { og: prune(og), imageMediaId };
  }

  /** The oEmbed document's Open Graph data; a failure only loses it, not the preview. */
  private async oembed(oembedUrl: string): Promise<Record<string, string>> {
    try {
      const body = (await this.fetcher.fetch(oembedUrl, "application/json")).body;
      return (await loadOembedParsing()).parseOembed(body);
    } catch (error) {
      this.log.debug({ err: error, url: oembedUrl }, "oEmbed fetch failed");
      return {};
    }
  }

  /** The stored image; a failure (blocked, too large, not an image) only loses the image. */
  private async image(imageUrl: string, userId: string): Promise<{ mediaId: string; og: OpenGraph } | undefined> {
    if (!this.sink) return undefined;
    try {
      return await storePreviewImage(this.fetcher, this.sink, imageUrl, userId, this.options.serverName, this.options.maxPixels);
    } catch (error) {
      this.log.debug({ err: error, url: imageUrl }, "preview image fetch failed");
      return undefined;
    }
  }

  /** Drops previews older than the history kept, at most once an hour (in any process that writes). */
  private async cleanup(now: number): Promise<void> {
    if (now - this.lastCleanup < 3_600_000) return;
    this.lastCleanup = now;
    const images = await this.store.deleteOlderThan(this.db.kysely, now - Math.max(HISTORY_MS, this.options.cacheTtlMs));
    await this.sink?.deletePreviewImages(images).catch((error: unknown) => this.log.warn({ err: error }, "deleting expired preview images failed"));
  }
}

function resolveUrl(href: string, base: string): string | undefined {
  try {
    return new URL(href, base).href;
  } catch {
    return undefined;
  }
}

function prune(og: OpenGraph): OpenGraph {
  const out: OpenGraph = {};
  for (const [key, value] of Object.entries(og)) if (key.length <= MAX_KEY_CHARS && String(value).length <= MAX_VALUE_CHARS) out[key] = value;
  return out;
}
