/** The thumbnailer's view of the media repository (thumbnail-source.ts), over the media service. */
import { MatrixError } from "../../errors.js";
import type { MediaService } from "./media-service.js";
import type { MediaFile, MediaOpenOptions, MediaSource } from "./thumbnail-source.js";

export class ThumbnailMediaSource implements MediaSource {
  constructor(private readonly media: MediaService) {}

  async open(serverName: string, mediaId: string, options: MediaOpenOptions): Promise<MediaFile> {
    const info = await this.media.resolve(serverName, mediaId, {
      legacy: options.legacy,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.allowRemote !== undefined ? { allowRemote: options.allowRemote } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const path = this.media.localPath(info);
    // A storage without local files (an object store) would need a copy to a temporary file first.
    if (path === undefined) throw new MatrixError(400, "M_UNKNOWN", "Cannot generate thumbnails for the requested content");
    return { path, contentType: info.contentType, size: info.size, open: () => this.media.openContent(info) };
  }
}
