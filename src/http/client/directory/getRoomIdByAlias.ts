/** GET /_matrix/client/v3/directory/room/{roomAlias} — client-server API "Room aliases". */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomIdByAlias = defineRoute({
  operationId: "getRoomIdByAlias",
  method: "GET",
  paths: clientPaths("/directory/room/:roomAlias"),
  auth: "none",
  handle: ({ deps, params }) => deps.aliases.getAlias(params["roomAlias"] as string),
});
