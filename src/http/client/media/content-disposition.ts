/**
 * Content-Disposition of served media (client-server API "Serving inline content"): `inline` only for
 * the content types the spec lists as safe to render, `attachment` for everything else, with the file
 * name encoded per RFC 6266 (a quoted `filename` for plain ASCII, RFC 5987 `filename*` otherwise).
 */

/** The spec's list of types servers may serve inline. */
const INLINE_SAFE_TYPES: ReadonlySet<string> = new Set([
  "text/css",
  "text/plain",
  "text/csv",
  "application/json",
  "application/ld+json",
  "image/jpeg",
  "image/gif",
  "image/png",
  "image/apng",
  "image/webp",
  "image/avif",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
  "audio/mp4",
  "audio/webm",
  "audio/aac",
  "audio/mpeg",
  "audio/ogg",
  "audio/wave",
  "audio/wav",
  "audio/x-wav",
  "audio/x-pn-wav",
  "audio/flac",
  "audio/x-flac",
]);

/** Whether a content type (parameters such as charset ignored) may be served inline. */
export function isInlineSafe(contentType: string): boolean {
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return INLINE_SAFE_TYPES.has(mediaType);
}

/** The header for media of `contentType` served under `fileName` (none: no file name in the header). */
export function contentDisposition(contentType: string, fileName: string | null | undefined): string {
  return dispositionHeader(isInlineSafe(contentType) ? "inline" : "attachment", fileName);
}

/** The header with a given disposition (thumbnails are always `inline`). */
export function dispositionHeader(disposition: "inline" | "attachment", fileName: string | null | undefined): string {
  if (!fileName) return disposition;
  return `${disposition}; ${fileNameParameter(fileName)}`;
}

function fileNameParameter(fileName: string): string {
  // Printable ASCII without quote or backslash fits a quoted-string as it is.
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(fileName)) return `filename="${fileName}"`;
  return `filename*=utf-8''${encodeRfc5987(fileName.toWellFormed())}`;
}

/** RFC 5987 value encoding: UTF-8 percent-encoded, leaving only its attr-chars bare. */
function encodeRfc5987(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
