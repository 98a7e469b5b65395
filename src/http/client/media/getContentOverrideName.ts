/**
 * GET /_matrix/media/v3/download/{serverName}/{mediaId}/{fileName} — client-server API "Content
 * repository" (getContentOverrideName, deprecated): as getContent.ts, under another file name.
 */
import { defineRoute } from "../../route.js";
import { allowRemoteParam, timeoutMsParam } from "./media-params.js";
import { mediaPaths } from "./media-paths.js";
import { mediaResponse } from "./media-response.js";

export const getContentOverrideName = defineRoute({
  operationId: "getContentOverrideName",
  method: "GET",
  paths: mediaPaths("/download/:serverName/:mediaId/:fileName", ["v3", "r0"]),
  auth: "none",
  handle: async (request) => {
    const media = await request.deps.media.resolve(request.params["serverName"]!, request.params["mediaId"]!, {
      timeoutMs: timeoutMsParam(request),
      legacy: true,
      allowRemote: allowRemoteParam(request),
      signal: request.signal,
    });
    return mediaResponse(request, media, { authenticated: false, fileName: request.params["fileName"]! });
  },
});
