/** GET /_matrix/client/v3/presence/{userId}/status — client-server API "Presence". */
import { clientPaths, defineRoute } from "../../route.js";

export const getPresence = defineRoute({
  operationId: "getPresence",
  method: "GET",
  paths: clientPaths("/presence/:userId/status"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.presence.getPresence(requester!, params["userId"] as string),
});
