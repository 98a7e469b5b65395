/**
 * Which files are thumbnailed and in what format thumbnails are written. Only JPEG, PNG, GIF and WebP
 * are ever handed to the image decoder, recognised by their first bytes rather than by the uploader's
 * content type: every decoder sharp carries (SVG, TIFF, HEIF...) would otherwise be reachable by any
 * user, and those are where decoder vulnerabilities live (Synapse restricts Pillow the same way).
 */

export type SourceFormat = "jpeg" | "png" | "gif" | "webp";

/** Bytes needed by `sniffImageFormat`. */
export const SNIFF_BYTES = 12;

const startsWith = (head: Uint8Array, bytes: readonly number[], offset = 0): boolean => bytes.every((byte, i) => head[offset + i] === byte);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The format of an image from its first bytes, or undefined when it is not one we thumbnail. */
export function sniffImageFormat(head: Uint8Array): SourceFormat | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) return "gif";
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return "webp";
  return undefined;
}

export type OutputFormat = "jpeg" | "png" | "webp";

export const OUTPUT_CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/**
 * The format of a thumbnail: animated WebP for an animated thumbnail (the spec: servers SHOULD prefer
 * image/webp for animation); PNG for sources with transparency and for the lossless formats (PNG,
 * GIF: screenshots and drawings stay sharp); JPEG for the rest (photographs).
 */
export function outputFormat(source: SourceFormat, hasAlpha: boolean, animated: boolean): OutputFormat {
  if (animated) return "webp";
  if (hasAlpha || source === "png" || source === "gif") return "png";
  return "jpeg";
}

const SOURCE_CONTENT_TYPES: Readonly<Record<SourceFormat, readonly string[]>> = {
  jpeg: ["image/jpeg", "image/jpg", "image/pjpeg"],
  png: ["image/png", "image/apng"],
  gif: ["image/gif"],
  webp: ["image/webp"],
};

/**
 * Whether an original may be served in place of a thumbnail: its bytes are the image format its
 * declared content type names, all of which the spec lists as safe to serve inline. Anything else
 * (an image uploaded as text/html, say) gets a re-encoded thumbnail instead.
 */
export function originalServable(source: SourceFormat, declaredContentType: string): boolean {
  const type = declaredContentType.split(";")[0]!.trim().toLowerCase();
  return SOURCE_CONTENT_TYPES[source].includes(type);
}
