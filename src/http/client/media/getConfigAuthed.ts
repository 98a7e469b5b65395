/** GET /_matrix/client/v1/media/config — client-server API "Content repository" (getConfigAuthed). */
import { clientPaths, defineRoute } from "../../route.js";

export const getConfigAuthed = defineRoute({
  operationId: "getConfigAuthed",
  method: "GET",
  paths: clientPaths("/media/config", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: ({ deps }) => deps.media.uploadConfig(),
});
