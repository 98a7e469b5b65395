/** GET /_matrix/client/v1/media/download/{serverName}/{mediaId} — client-server API "Content repository" (getContentAuthed). */
import { clientPaths, defineRoute } from "../../route.js";
import { download } from "./download.js";

export const getContentAuthed = defineRoute({
  operationId: "getContentAuthed",
  method: "GET",
  paths: clientPaths("/media/download/:serverName/:mediaId", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: (request) => download(request, { legacy: false }),
});
