/** GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event — client-server API "Room participation" (v1.6). */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";
import { integerParam, requiredParam } from "../../query-params.js";

export const getEventByTimestamp = defineRoute({
  operationId: "getEventByTimestamp",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/timestamp_to_event", { r0: false, versions: ["v1"] }),
  auth: "user",
  handle(request) {
    requiredParam(request, "ts");
    const ts = integerParam(request, "ts", 0) as number;
    const dir = requiredParam(request, "dir");
    if (dir !== "f" && dir !== "b") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be f or b");
    return request.deps.roomLookups.eventByTimestamp(request.requester!.userId, request.params["roomId"] as string, ts, dir);
  },
});
