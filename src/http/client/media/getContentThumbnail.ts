/**
 * GET /_matrix/media/v3/thumbnail/{serverName}/{mediaId} — client-server API "Content repository"
 * (getContentThumbnail, deprecated): unauthenticated, and frozen like the deprecated downloads (the
 * media service answers 404 M_NOT_FOUND for media uploaded while
 * `media.legacy_unauthenticated_downloads` is off).
 */
import { defineRoute } from "../../route.js";
import { thumbnailRequest, thumbnailResponse } from "./getContentThumbnailRequest.js";
import { mediaPaths } from "./media-paths.js";

export const getContentThumbnail = defineRoute({
  operationId: "getContentThumbnail",
  method: "GET",
  paths: mediaPaths("/thumbnail/:serverName/:mediaId", ["v3", "r0"]),
  auth: "none",
  handle: async (request) => thumbnailResponse(await request.deps.thumbnails.thumbnail(thumbnailRequest(request, true)), false),
});
