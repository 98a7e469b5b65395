/** GET /_matrix/client/v1/media/preview_url — client-server API "Content repository" (getUrlPreviewAuthed). */
import { clientPaths, defineRoute } from "../../route.js";
import { previewQuery } from "./getUrlPreviewQuery.js";

export const getUrlPreviewAuthed = defineRoute({
  operationId: "getUrlPreviewAuthed",
  method: "GET",
  paths: clientPaths("/media/preview_url", { versions: ["v1"], r0: false }),
  auth: "user",
  handle: async (request) => {
    const { url, ts } = previewQuery(request);
    return request.deps.urlPreviews.preview(url, ts, request.requester!.userId);
  },
});
