/** Request parts the media endpoints share: the download wait, and what an upload request says about its body. */
import type { UploadInput } from "../../../services/media/media-upload-service.js";
import { booleanParam, integerParam, singleParam } from "../../query-params.js";
import type { RouteRequest } from "../../route.js";

/** `timeout_ms` (the service applies the spec's default and its own maximum). */
export function timeoutMsParam(request: RouteRequest<unknown>): number | undefined {
  return integerParam(request, "timeout_ms", 0);
}

/** `allow_remote` of the deprecated endpoints (true unless given). */
export function allowRemoteParam(request: RouteRequest<unknown>): boolean {
  return booleanParam(request, "allow_remote", true);
}

function headerValue(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The streamed body of an upload with its Content-Type, Content-Length and `filename`. */
export function uploadInput(request: RouteRequest<unknown>): UploadInput {
  const length = headerValue(request, "content-length");
  return {
    body: request.bodyStream!,
    contentType: headerValue(request, "content-type"),
    contentLength: length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined,
    fileName: singleParam(request, "filename"),
  };
}
