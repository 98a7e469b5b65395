/** GET /user/{userId}/account_data/{type} — client-server API "Client Config". */
import { clientPaths, defineRoute } from "../../route.js";

export const getAccountData = defineRoute({
  operationId: "getAccountData",
  method: "GET",
  paths: clientPaths("/user/:userId/account_data/:type"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.accountData.getForClient(requester!, params["userId"] as string, undefined, params["type"] as string),
});
