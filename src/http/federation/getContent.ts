/**
 * GET /_matrix/federation/v1/media/download/{mediaId} — server-server API "Content Repository"
 * (getContent): another server fetching our users' media for its own. Local media only (a server
 * asks the origin of an mxc:// URI, never a third server); frozen media is served, since the request
 * is authenticated.
 */
import { contentDisposition } from "../client/media/content-disposition.js";
import { timeoutMsParam } from "../client/media/media-params.js";
import { defineRoute } from "../route.js";
import { multipartMediaResponse } from "./multipart-media.js";

export const getFederationContent = defineRoute({
  operationId: "getContent",
  method: "GET",
  paths: ["/_matrix/federation/v1/media/download/:mediaId"],
  auth: "server",
  handle: async (request) => {
    const { media } = request.deps;
    const info = await media.resolve(request.deps.config.server_name, request.params["mediaId"]!, { timeoutMs: timeoutMsParam(request), allowRemote: false, signal: request.signal });
    return multipartMediaResponse({
      contentType: info.contentType,
      contentDisposition: contentDisposition(info.contentType, info.uploadName),
      body: await media.openContent(info),
      size: info.size,
    });
  },
});
