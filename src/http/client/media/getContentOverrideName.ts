/**
 * GET /_matrix/media/v3/download/{serverName}/{mediaId}/{fileName} — client-server API "Content
 * repository" (getContentOverrideName, deprecated): as getContent.ts, under another file name.
 */
import { defineRoute } from "../../route.js";
import { mediaPaths } from "./media-paths.js";
import { download } from "./download.js";

export const getContentOverrideName = defineRoute({
  operationId: "getContentOverrideName",
  method: "GET",
  paths: mediaPaths("/download/:serverName/:mediaId/:fileName", ["v3", "r0"]),
  auth: "none",
  handle: (request) => download(request, { legacy: true }),
});
