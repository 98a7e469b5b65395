/** GET /_matrix/media/v3/preview_url — client-server API "Content repository" (getUrlPreview, deprecated but authenticated). */
import { defineRoute } from "../../route.js";
import { previewQuery } from "./getUrlPreviewQuery.js";
import { mediaPaths } from "./media-paths.js";

export const getUrlPreview = defineRoute({
  operationId: "getUrlPreview",
  method: "GET",
  paths: mediaPaths("/preview_url", ["v3", "r0"]),
  auth: "user",
  handle: async (request) => {
    const { url, ts } = previewQuery(request);
    return request.deps.urlPreviews.preview(url, ts, request.requester!.userId);
  },
});
