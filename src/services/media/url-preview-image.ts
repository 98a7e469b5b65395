/**
 * The image of a preview (og:image): fetched through the same guarded fetcher, stored as local media
 * and named by its mxc:// URI, so that clients never load a third party's URL themselves (which would
 * tell that site who reads the message). Dimensions come from the image's header, under the same pixel
 * limit as thumbnails.
 */
import { loadSharp } from "./sharp-loader.js";
import { sniffImageFormat } from "./thumbnail-format.js";
import type { PreviewFetcher } from "./url-preview-fetch.js";

/** Where preview images are stored: the media repository, as media of the user who asked. */
export interface PreviewImageSink {
  /** Stores bytes as new local media; returns its media ID. */
  storePreviewImage(data: Buffer, contentType: string, userId: string): Promise<{ mediaId: string }>;
  /** Deletes the images of previews that expired (each fetch stored its own copy). */
  deletePreviewImages(mediaIds: readonly string[]): Promise<void>;
}

export interface PreviewImage {
  readonly mediaId: string;
  readonly og: Record<string, string | number>;
}

const IMAGE_ACCEPT = "image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8";

/** The Open Graph image keys of a stored image (`og:image` as mxc URI, type, size and dimensions). */
export async function storePreviewImage(
  fetcher: PreviewFetcher,
  sink: PreviewImageSink,
  imageUrl: string,
  userId: string,
  serverName: string,
  maxPixels: number,
): Promise<PreviewImage | undefined> {
  const image = await fetcher.fetch(imageUrl, IMAGE_ACCEPT);
  if (!image.mediaType.startsWith("image/")) return undefined;
  const { mediaId } = await sink.storePreviewImage(image.body, image.mediaType, userId);
  const og: Record<string, string | number> = {
    "og:image": `mxc://${serverName}/${mediaId}`,
    "og:image:type": image.mediaType,
    "matrix:image:size": image.body.length,
  };
  // Dimensions only of formats we decode at all (see thumbnail-format.ts), and only from the header.
  if (sniffImageFormat(image.body)) {
    try {
      const sharp = await loadSharp();
      const metadata = await sharp(image.body, { limitInputPixels: false }).metadata();
      if (metadata.width * metadata.height <= maxPixels) {
        og["og:image:width"] = metadata.autoOrient.width;
        og["og:image:height"] = metadata.autoOrient.height;
      }
    } catch {
      // An undecodable header: the image is still stored, just without dimensions.
    }
  }
  return { mediaId, og };
}
