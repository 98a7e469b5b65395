/** GET /_matrix/federation/v1/hierarchy/{roomId} — server-server API "Spaces". */
import { booleanParam } from "../query-params.js";
import { defineRoute } from "../route.js";

export const getFederationSpaceHierarchy = defineRoute({
  operationId: "getSpaceHierarchy",
  method: "GET",
  paths: ["/_matrix/federation/v1/hierarchy/:roomId"],
  auth: "server",
  handle: (request) => request.deps.spaceHierarchy.forServer(request.origin as string, request.params["roomId"] as string, booleanParam(request, "suggested_only", false)),
});
