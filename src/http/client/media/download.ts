/**
 * What the four download routes share (authenticated or legacy, with or without a file name): resolve
 * the media with the request's parameters and answer it.
 */
import type { HttpResponse, RouteRequest } from "../../route.js";
import { allowRemoteParam, timeoutMsParam } from "./media-params.js";
import { mediaResponse } from "./media-response.js";

export async function download(request: RouteRequest<unknown>, options: { legacy: boolean }): Promise<HttpResponse> {
  const media = await request.deps.media.resolve(request.params["serverName"]!, request.params["mediaId"]!, {
    timeoutMs: timeoutMsParam(request),
    signal: request.signal,
    // The deprecated endpoints are frozen for new media and take allow_remote; the v1 ones always fetch remote media.
    ...(options.legacy ? { legacy: true, allowRemote: allowRemoteParam(request) } : {}),
  });
  const fileName = request.params["fileName"];
  return mediaResponse(request, media, { authenticated: !options.legacy, ...(fileName !== undefined ? { fileName } : {}) });
}
