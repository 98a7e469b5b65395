/**
 * GET /_matrix/media/v3/download/{serverName}/{mediaId} — client-server API "Content repository"
 * (getContent, deprecated): unauthenticated, and frozen for media uploaded while
 * `media.legacy_unauthenticated_downloads` is off (404 M_NOT_FOUND, as the spec allows).
 */
import { defineRoute } from "../../route.js";
import { allowRemoteParam, timeoutMsParam } from "./media-params.js";
import { mediaPaths } from "./media-paths.js";
import { mediaResponse } from "./media-response.js";

export const getContent = defineRoute({
  operationId: "getContent",
  method: "GET",
  paths: mediaPaths("/download/:serverName/:mediaId", ["v3", "r0"]),
  auth: "none",
  handle: async (request) => {
    const media = await request.deps.media.resolve(request.params["serverName"]!, request.params["mediaId"]!, {
      timeoutMs: timeoutMsParam(request),
      legacy: true,
      allowRemote: allowRemoteParam(request),
      signal: request.signal,
    });
    return mediaResponse(request, media, { authenticated: false });
  },
});
