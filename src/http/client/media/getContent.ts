/**
 * GET /_matrix/media/v3/download/{serverName}/{mediaId} — client-server API "Content repository"
 * (getContent, deprecated): unauthenticated, and frozen for media uploaded while
 * `media.legacy_unauthenticated_downloads` is off (404 M_NOT_FOUND, as the spec allows).
 */
import { defineRoute } from "../../route.js";
import { mediaPaths } from "./media-paths.js";
import { download } from "./download.js";

export const getContent = defineRoute({
  operationId: "getContent",
  method: "GET",
  paths: mediaPaths("/download/:serverName/:mediaId", ["v3", "r0"]),
  auth: "none",
  handle: (request) => download(request, { legacy: true }),
});
