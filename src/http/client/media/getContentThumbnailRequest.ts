/**
 * What the two thumbnail endpoints share: their query parameters (spec "GET /media/thumbnail") and
 * the response, whose disposition MUST be `inline` with a file name, with the headers every media
 * answer carries.
 */
import { MatrixError } from "../../../errors.js";
import type { ThumbnailRequest } from "../../../services/media/thumbnail-service.js";
import type { ThumbnailBody } from "../../../services/media/thumbnail-source.js";
import { booleanParam, integerParam, requiredParam, singleParam } from "../../query-params.js";
import { HttpResponse, type RouteRequest } from "../../route.js";
import { dispositionHeader } from "./content-disposition.js";
import { allowRemoteParam, timeoutMsParam } from "./media-params.js";
import { MEDIA_SECURITY_HEADERS, mediaCacheControl } from "./media-response.js";

/** The thumbnail request of a route's parameters; `legacy` for the deprecated unauthenticated endpoint. */
export function thumbnailRequest(request: RouteRequest<unknown>, legacy: boolean): ThumbnailRequest {
  requiredParam(request, "width");
  requiredParam(request, "height");
  const method = singleParam(request, "method") ?? "scale";
  if (method !== "crop" && method !== "scale") throw new MatrixError(400, "M_INVALID_PARAM", "method must be crop or scale");
  return {
    serverName: request.params["serverName"]!,
    mediaId: request.params["mediaId"]!,
    width: integerParam(request, "width", 1)!,
    height: integerParam(request, "height", 1)!,
    method,
    animated: booleanParam(request, "animated", false),
    timeoutMs: timeoutMsParam(request),
    legacy,
    allowRemote: legacy ? allowRemoteParam(request) : undefined,
    signal: request.signal,
  };
}

const EXTENSIONS: Readonly<Record<string, string>> = { "image/jpeg": "jpg", "image/png": "png", "image/apng": "png", "image/gif": "gif", "image/webp": "webp" };

/** The file name a thumbnail of `contentType` (lower case, no parameters) is served under. */
export function thumbnailFileName(contentType: string): string {
  return `thumbnail.${EXTENSIONS[contentType] ?? "bin"}`;
}

/** The 200 answer carrying a thumbnail (or the original standing in for one). */
export function thumbnailResponse(body: ThumbnailBody, authenticated: boolean): HttpResponse {
  const contentType = body.contentType.split(";", 1)[0]!.trim().toLowerCase();
  const headers: Record<string, string> = {
    ...MEDIA_SECURITY_HEADERS,
    "content-type": contentType,
    "content-disposition": dispositionHeader("inline", thumbnailFileName(contentType)),
    "cache-control": mediaCacheControl(authenticated),
  };
  if (body.kind === "bytes") return new HttpResponse(200, body.data, headers);
  return new HttpResponse(200, body.stream, { ...headers, "content-length": String(body.size) });
}
