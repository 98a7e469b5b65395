/** Thumbnails made of media (client-server API "Thumbnails"); their bytes are files beside the media store. */

/**
 * One generated thumbnail. It is keyed by the configured size it was made for (`width`, `height`,
 * `method`) and by whether it is animated, which is what a request is matched against; the output's own
 * dimensions can be smaller (an image is never upscaled).
 */
export interface MediaThumbnailsTable {
  server_name: string;
  media_id: string;
  width: number;
  height: number;
  /** `crop` or `scale`. */
  method: string;
  /** 1 for an animated thumbnail (made only when asked for and the source is animated). */
  animated: number;
  content_type: string;
  out_width: number;
  out_height: number;
  size: number;
  /** Path relative to the thumbnail directory. */
  file_name: string;
  created_ts: number;
}

export interface ThumbnailTables {
  media_thumbnails: MediaThumbnailsTable;
}
