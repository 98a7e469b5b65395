/** GET /keys/changes — client-server API "Key management API". */
import { requiredParam } from "../../query-params.js";
import { clientPaths, defineRoute } from "../../route.js";

export const getKeysChanges = defineRoute({
  operationId: "getKeysChanges",
  method: "GET",
  paths: clientPaths("/keys/changes"),
  auth: "user",
  handle: (request) => request.deps.deviceLists.changesBetween(request.requester!.userId, requiredParam(request, "from"), requiredParam(request, "to")),
});
