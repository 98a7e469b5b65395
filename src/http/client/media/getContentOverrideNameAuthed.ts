/** GET /_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName} — client-server API "Content repository" (getContentOverrideNameAuthed). */
import { clientPaths, defineRoute } from "../../route.js";
import { download } from "./download.js";

export const getContentOverrideNameAuthed = defineRoute({
  operationId: "getContentOverrideNameAuthed",
  method: "GET",
  paths: clientPaths("/media/download/:serverName/:mediaId/:fileName", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: (request) => download(request, { legacy: false }),
});
