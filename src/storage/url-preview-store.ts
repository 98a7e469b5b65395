/** The URL preview cache in the database: one Open Graph object per URL and time window. */
import { createHash } from "node:crypto";
import type { Executor } from "./db.js";

export interface StoredPreview {
  windowStart: number;
  fetchedTs: number;
  og: Record<string, unknown>;
  imageMediaId: string | null;
}

const urlHash = (url: string): string => createHash("sha256").update(url).digest("hex");

export class UrlPreviewStore {
  /** The preview of the URL made in this window, if any. */
  async get(executor: Executor, url: string, windowStart: number): Promise<StoredPreview | undefined> {
    const row = await executor
      .selectFrom("url_previews")
      .select(["window_start", "fetched_ts", "og_json", "image_media_id", "url"])
      .where("url_hash", "=", urlHash(url))
      .where("window_start", "=", windowStart)
      .executeTakeFirst();
    // The URL is compared too, so that a hash collision could never serve another page's preview.
    if (!row || row.url !== url) return undefined;
    return { windowStart: Number(row.window_start), fetchedTs: Number(row.fetched_ts), og: JSON.parse(row.og_json) as Record<string, unknown>, imageMediaId: row.image_media_id };
  }

  /** Stores a preview; another process that stored the same window first keeps its row. */
  async put(executor: Executor, url: string, preview: StoredPreview): Promise<void> {
    await executor
      .insertInto("url_previews")
      .values({
        url_hash: urlHash(url),
        url,
        window_start: preview.windowStart,
        fetched_ts: preview.fetchedTs,
        og_json: JSON.stringify(preview.og),
        image_media_id: preview.imageMediaId,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Deletes previews fetched before `cutoffTs`; returns the media IDs of their images. */
  async deleteOlderThan(executor: Executor, cutoffTs: number): Promise<string[]> {
    const rows = await executor.deleteFrom("url_previews").where("fetched_ts", "<", cutoffTs).returning("image_media_id").execute();
    return rows.flatMap((row) => (row.image_media_id === null ? [] : [row.image_media_id]));
  }
}
