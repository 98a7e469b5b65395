/**
 * Thumbnail geometry (client-server API "Thumbnails"): which configured size answers a request, and
 * the dimensions of a thumbnail of a given source, never upscaled. Pure functions.
 */

export type ThumbnailMethod = "crop" | "scale";

export interface ThumbnailSize {
  readonly width: number;
  readonly height: number;
  readonly method: ThumbnailMethod;
}

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

/**
 * The dimensions of a thumbnail of `source` for a box: `scale` fits the image inside the box keeping its
 * aspect ratio; `crop` fills the box exactly (centre crop) — or, when the source is too small to fill
 * it without upscaling, the largest region of the box's aspect ratio the source holds.
 */
export function thumbnailDimensions(source: Dimensions, box: ThumbnailSize): Dimensions {
  if (box.method === "scale") {
    const factor = Math.min(box.width / source.width, box.height / source.height, 1);
    return { width: Math.max(1, Math.round(source.width * factor)), height: Math.max(1, Math.round(source.height * factor)) };
  }
  const factor = Math.max(box.width / source.width, box.height / source.height);
  if (factor <= 1) return { width: box.width, height: box.height };
  return {
    width: Math.max(1, Math.min(source.width, Math.round(box.width / factor))),
    height: Math.max(1, Math.min(source.height, Math.round(box.height / factor))),
  };
}

const area = (d: Dimensions): number => d.width * d.height;

/**
 * The configured size that answers a request: the one whose thumbnail of this source is the smallest
 * that is still at least as large, in both dimensions, as the thumbnail the request itself describes
 * (the spec: never smaller than asked, unless the source is). Sizes of the requested method are
 * preferred; others are used only when no size of that method exists. Returns undefined when no size
 * is large enough: the caller then serves the original or the largest size.
 */
export function chooseThumbnailSize(sizes: readonly ThumbnailSize[], source: Dimensions, request: ThumbnailSize): ThumbnailSize | undefined {
  const sameMethod = sizes.filter((size) => size.method === request.method);
  const candidates = sameMethod.length > 0 ? sameMethod : sizes;
  const wanted = thumbnailDimensions(source, request);
  let best: { size: ThumbnailSize; out: Dimensions } | undefined;
  for (const size of candidates) {
    const out = thumbnailDimensions(source, size);
    if (out.width < wanted.width || out.height < wanted.height) continue;
    if (!best || area(out) < area(best.out)) best = { size, out };
  }
  return best?.size;
}

/** The configured size with the largest thumbnail of this source (requested method first). */
export function largestThumbnailSize(sizes: readonly ThumbnailSize[], source: Dimensions, method: ThumbnailMethod): ThumbnailSize {
  const sameMethod = sizes.filter((size) => size.method === method);
  const candidates = sameMethod.length > 0 ? sameMethod : sizes;
  let best = candidates[0]!;
  for (const size of candidates) if (area(thumbnailDimensions(source, size)) > area(thumbnailDimensions(source, best))) best = size;
  return best;
}

/** Whether the source fits within the requested box: then the spec asks for the original, not a thumbnail. */
export function fitsWithin(source: Dimensions, request: Dimensions): boolean {
  return source.width <= request.width && source.height <= request.height;
}
