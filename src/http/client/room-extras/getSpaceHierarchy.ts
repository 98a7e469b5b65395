/** GET /_matrix/client/v1/rooms/{roomId}/hierarchy — client-server API "Spaces". */
import { clientPaths, defineRoute } from "../../route.js";
import { booleanParam, integerParam, singleParam } from "../../query-params.js";

export const getSpaceHierarchy = defineRoute({
  operationId: "getSpaceHierarchy",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/hierarchy", { r0: false, versions: ["v1"] }),
  auth: "user",
  handle(request) {
    // The spec: limit "must be an integer greater than zero", max_depth "a non-negative integer".
    const limit = integerParam(request, "limit", 1);
    const maxDepth = integerParam(request, "max_depth", 0);
    const from = singleParam(request, "from");
    return request.deps.spaceHierarchy.hierarchy(request.requester!.userId, request.params["roomId"] as string, {
      suggestedOnly: booleanParam(request, "suggested_only", false),
      ...(limit !== undefined ? { limit } : {}),
      ...(maxDepth !== undefined ? { maxDepth } : {}),
      ...(from !== undefined ? { from } : {}),
    });
  },
});
