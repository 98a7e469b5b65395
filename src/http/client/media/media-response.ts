/**
 * Serves resolved media: the bytes streamed from the storage (never read whole into memory), with the
 * headers the spec asks of the content repository (Content-Type, Content-Disposition,
 * Content-Security-Policy, Cross-Origin-Resource-Policy), caching, and byte ranges.
 */
import type { MediaInfo } from "../../../services/media/media-types.js";
import { HttpResponse, type RouteRequest } from "../../route.js";
import { parseRange } from "./byte-range.js";
import { contentDisposition } from "./content-disposition.js";

/** The spec's recommended policy: served media can run nothing, even when a browser opens it directly. */
export const MEDIA_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';";

/** Headers every media answer carries, thumbnails included. */
export const MEDIA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": MEDIA_CONTENT_SECURITY_POLICY,
  // Web clients may embed media while cross-origin isolated (spec: v1.4).
  "cross-origin-resource-policy": "cross-origin",
  "x-content-type-options": "nosniff",
};

/**
 * Media never changes under its URI, so it may be cached for a day. What came through an
 * authenticated endpoint is `private`: a shared cache must not hand it to requests without a token.
 */
export function mediaCacheControl(authenticated: boolean): string {
  return authenticated ? "private, max-age=86400" : "public, max-age=86400, s-maxage=86400";
}

function header(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The answer to a download of `media`; `fileName` from the path overrides the uploaded name. */
export async function mediaResponse(request: RouteRequest<unknown>, media: MediaInfo, options: { fileName?: string; authenticated: boolean }): Promise<HttpResponse> {
  const etag = `"${media.sha256}"`;
  const headers: Record<string, string> = {
    ...MEDIA_SECURITY_HEADERS,
    "content-type": media.contentType,
    "content-disposition": contentDisposition(media.contentType, options.fileName ?? media.uploadName),
    "cache-control": mediaCacheControl(options.authenticated),
    "accept-ranges": "bytes",
    etag,
  };
  // If-Range: a range of what the client has, only if it still is this content.
  const ifRange = header(request, "if-range");
  const range = ifRange === undefined || ifRange === etag ? parseRange(header(request, "range"), media.size) : ({ kind: "full" } as const);
  if (range.kind === "unsatisfiable") {
    return new HttpResponse(416, "", { ...MEDIA_SECURITY_HEADERS, "accept-ranges": "bytes", "content-range": `bytes */${media.size}`, "content-type": "text/plain" });
  }
  if (range.kind === "partial") {
    const body = await request.deps.media.openContent(media, { start: range.start, end: range.end });
    return new HttpResponse(206, body, { ...headers, "content-range": `bytes ${range.start}-${range.end}/${media.size}`, "content-length": String(range.end - range.start + 1) });
  }
  const body = await request.deps.media.openContent(media);
  return new HttpResponse(200, body, { ...headers, "content-length": String(media.size) });
}
