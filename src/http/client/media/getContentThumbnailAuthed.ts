/** GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} — client-server API "Content repository" (getContentThumbnailAuthed). */
import { clientPaths, defineRoute } from "../../route.js";
import { thumbnailRequest, thumbnailResponse } from "./getContentThumbnailRequest.js";

export const getContentThumbnailAuthed = defineRoute({
  operationId: "getContentThumbnailAuthed",
  method: "GET",
  paths: clientPaths("/media/thumbnail/:serverName/:mediaId", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: async (request) => thumbnailResponse(await request.deps.thumbnails.thumbnail(thumbnailRequest(request, false)), true),
});
