/** URL previews (client-server API "GET /media/preview_url"), cached per URL and time window. */

/**
 * One preview of a URL: the Open Graph object as served, for the time window (`window_start`, a
 * multiple of the cache lifetime) it was fetched in. Older windows are kept a while so that a client
 * asking with an older `ts` can get the preview of that time.
 */
export interface UrlPreviewsTable {
  /** Hex SHA-256 of the URL: the key (URLs can outgrow an index entry). */
  url_hash: string;
  url: string;
  window_start: number;
  fetched_ts: number;
  /** JSON object. */
  og_json: string;
  /** The media ID the page's image was stored under, if any (for retention). */
  image_media_id: string | null;
}

export interface UrlPreviewTables {
  url_previews: UrlPreviewsTable;
}
