/** GET /_matrix/client/v3/directory/list/room/{roomId} — client-server API "Published room directory". */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomVisibilityOnDirectory = defineRoute({
  operationId: "getRoomVisibilityOnDirectory",
  method: "GET",
  paths: clientPaths("/directory/list/room/:roomId"),
  auth: "none",
  handle: ({ deps, params }) => deps.roomDirectory.getVisibility(params["roomId"] as string),
});
