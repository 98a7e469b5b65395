/** GET /_matrix/federation/v1/timestamp_to_event/{roomId} — server-server API "Retrieving events" (v1.6). */
import { MatrixError } from "../../errors.js";
import { defineRoute } from "../route.js";
import { integerParam, requiredParam } from "../query-params.js";

export const getEventByTimestamp = defineRoute({
  operationId: "getEventByTimestamp",
  method: "GET",
  paths: ["/_matrix/federation/v1/timestamp_to_event/:roomId"],
  auth: "server",
  async handle(request) {
    requiredParam(request, "ts");
    const ts = integerParam(request, "ts", 0) as number;
    const dir = requiredParam(request, "dir");
    if (dir !== "f" && dir !== "b") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be f or b");
    await request.deps.federationRooms.acl.assertServerAllowed(request.origin!, request.params["roomId"] as string);
    return request.deps.federationRooms.history.eventByTimestamp(request.origin!, request.params["roomId"] as string, ts, dir);
  },
});
