/** Preview images stored as ordinary uploads of the user who asked for the preview (as Synapse does), deleted with their preview. */
import { Readable } from "node:stream";
import type { MediaService } from "./media-service.js";
import type { MediaUploadService } from "./media-upload-service.js";
import type { PreviewImageSink } from "./url-preview-image.js";

export class UploadPreviewImageSink implements PreviewImageSink {
  constructor(
    private readonly uploads: MediaUploadService,
    private readonly media: MediaService,
    private readonly serverName: string,
  ) {}

  async storePreviewImage(data: Buffer, contentType: string, userId: string): Promise<{ mediaId: string }> {
    const mxc = await this.uploads.upload(userId, { body: Readable.from([data]), contentType, contentLength: data.length, fileName: undefined });
    return { mediaId: mxc.slice(mxc.lastIndexOf("/") + 1) };
  }

  async deletePreviewImages(mediaIds: readonly string[]): Promise<void> {
    if (mediaIds.length > 0) await this.media.deleteMedia(this.serverName, mediaIds);
  }
}
