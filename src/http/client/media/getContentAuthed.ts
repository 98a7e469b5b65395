/** GET /_matrix/client/v1/media/download/{serverName}/{mediaId} — client-server API "Content repository" (getContentAuthed). */
import { clientPaths, defineRoute } from "../../route.js";
import { timeoutMsParam } from "./media-params.js";
import { mediaResponse } from "./media-response.js";

export const getContentAuthed = defineRoute({
  operationId: "getContentAuthed",
  method: "GET",
  paths: clientPaths("/media/download/:serverName/:mediaId", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: async (request) => {
    const media = await request.deps.media.resolve(request.params["serverName"]!, request.params["mediaId"]!, { timeoutMs: timeoutMsParam(request), signal: request.signal });
    return mediaResponse(request, media, { authenticated: true });
  },
});
