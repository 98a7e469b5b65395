/**
 * `media.thumbnails`: the sizes thumbnails are made in, the pixel limit that refuses decompression
 * bombs, and whether the sizes are made at upload. Documented in docs/config.md ("Media").
 */
import { z } from "zod";

const thumbnailSizeSchema = z
  .object({
    width: z.number().int().min(1).max(4096),
    height: z.number().int().min(1).max(4096),
    method: z.enum(["crop", "scale"]),
  })
  .strict();

export type ThumbnailSizeConfig = z.infer<typeof thumbnailSizeSchema>;

/** The sizes the spec recommends (and Synapse makes by default). */
export const DEFAULT_THUMBNAIL_SIZES: readonly ThumbnailSizeConfig[] = [
  { width: 32, height: 32, method: "crop" },
  { width: 96, height: 96, method: "crop" },
  { width: 320, height: 240, method: "scale" },
  { width: 640, height: 480, method: "scale" },
  { width: 800, height: 600, method: "scale" },
];

export const DEFAULT_THUMBNAIL_MAX_PIXELS = 32_000_000;

export const thumbnailConfigSchema = z
  .object({
    /** The only sizes made: a request gets the smallest one at least as large as it asked. */
    sizes: z.array(thumbnailSizeSchema).min(1).default(() => DEFAULT_THUMBNAIL_SIZES.map((size) => ({ ...size }))),
    /** Images with more pixels (width × height, every frame of an animation counted) are not decoded. */
    max_pixels: z.number().int().positive().default(DEFAULT_THUMBNAIL_MAX_PIXELS),
    /** Make every size when an image is uploaded instead of on the first request. */
    pregenerate: z.boolean().default(false),
  })
  .strict();

export type ThumbnailConfig = z.infer<typeof thumbnailConfigSchema>;

export const DEFAULT_THUMBNAIL_CONFIG: ThumbnailConfig = {
  sizes: DEFAULT_THUMBNAIL_SIZES.map((size) => ({ ...size })),
  max_pixels: DEFAULT_THUMBNAIL_MAX_PIXELS,
  pregenerate: false,
};
