/** GET /_matrix/client/v1/mutual_rooms — client-server API "Mutual rooms" (v1.19). */
import { clientPaths, defineRoute } from "../../route.js";
import { requiredParam, singleParam } from "../../query-params.js";

export const getMutualRooms = defineRoute({
  operationId: "getMutualRooms",
  method: "GET",
  paths: clientPaths("/mutual_rooms", { r0: false, versions: ["v1"] }),
  auth: "user",
  handle(request) {
    const userId = requiredParam(request, "user_id");
    return request.deps.roomLookups.mutualRooms(request.requester!.userId, userId, singleParam(request, "from"));
  },
});
