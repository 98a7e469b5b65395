/**
 * The image work of thumbnails, with sharp (libvips): reading an image's header and rendering a
 * thumbnail. Decoding runs on libuv's thread pool, not on the event loop; a pixel limit checked on the
 * header before any decoding refuses decompression bombs (a small file declaring a huge image).
 */
import { open } from "node:fs/promises";
import type { Metadata } from "sharp";
import { loadSharp } from "./sharp-loader.js";
import { tooLarge } from "../../errors.js";
import { outputFormat, OUTPUT_CONTENT_TYPES, sniffImageFormat, SNIFF_BYTES, type SourceFormat } from "./thumbnail-format.js";
import type { Dimensions, ThumbnailMethod } from "./thumbnail-sizes.js";

/** A stuck decode (a pathological file) frees its thread after this long. */
const RENDER_TIMEOUT_SECONDS = 30;

export interface ImageProbe {
  readonly format: SourceFormat;
  /** Displayed dimensions (EXIF orientation applied) of one frame. */
  readonly width: number;
  readonly height: number;
  /** Frames: more than 1 for an animated GIF or WebP. */
  readonly pages: number;
  readonly hasAlpha: boolean;
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The header of an image file, or undefined when it is not an image we thumbnail (or is unreadable).
 * Throws 413 M_TOO_LARGE when one frame has more than `maxPixels` pixels.
 */
export async function probeImage(path: string, maxPixels: number): Promise<ImageProbe | undefined> {
  const format = sniffImageFormat(await readHead(path));
  if (!format) return undefined;
  let metadata: Metadata;
  try {
    // Only the header is read here; sharp's own limit would fail it as "undecodable", not too large.
    const sharp = await loadSharp();
    metadata = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    return undefined;
  }
  if (metadata.format !== format) return undefined;
  if (metadata.width * metadata.height > maxPixels) throw tooLarge("Image is too large to thumbnail");
  const oriented = metadata.autoOrient;
  return { format, width: oriented.width, height: oriented.height, pages: metadata.pages ?? 1, hasAlpha: metadata.hasAlpha };
}

/** Whether an animated thumbnail of this image stays within the pixel limit with every frame decoded. */
export function animationFits(probe: ImageProbe, maxPixels: number): boolean {
  return probe.pages > 1 && probe.width * probe.height * probe.pages <= maxPixels;
}

export interface RenderedThumbnail {
  readonly data: Buffer;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
}

/** Renders a thumbnail of `dims` (from thumbnailDimensions) with the method's fit, animated or not. */
export async function renderThumbnail(path: string, probe: ImageProbe, dims: Dimensions, method: ThumbnailMethod, animated: boolean, maxPixels: number): Promise<RenderedThumbnail> {
  const format = outputFormat(probe.format, probe.hasAlpha, animated);
  const sharp = await loadSharp();
  let image = sharp(path, { autoOrient: true, animated, limitInputPixels: maxPixels })
    .timeout({ seconds: RENDER_TIMEOUT_SECONDS })
    .resize(dims.width, dims.height, { fit: method === "crop" ? "cover" : "fill", position: "centre" });
  if (format === "jpeg") image = image.jpeg({ quality: 80 });
  else if (format === "png") image = image.png();
  else image = image.webp({ quality: 80 });
  try {
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { data, contentType: OUTPUT_CONTENT_TYPES[format], width: info.width, height: info.pageHeight ?? info.height };
  } catch (error) {
    // The header passed probeImage; a limit error here means the header lied (or frames were counted).
    if (error instanceof Error && /pixel limit/i.test(error.message)) throw tooLarge("Image is too large to thumbnail");
    throw error;
  }
}
