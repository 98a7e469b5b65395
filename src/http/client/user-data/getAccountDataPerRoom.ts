/** GET /user/{userId}/rooms/{roomId}/account_data/{type} — client-server API "Client Config". */
import { clientPaths, defineRoute } from "../../route.js";

export const getAccountDataPerRoom = defineRoute({
  operationId: "getAccountDataPerRoom",
  method: "GET",
  paths: clientPaths("/user/:userId/rooms/:roomId/account_data/:type"),
  auth: "user",
  handle: ({ deps, params, requester }) =>
    deps.accountData.getForClient(requester!, params["userId"] as string, params["roomId"] as string, params["type"] as string),
});
