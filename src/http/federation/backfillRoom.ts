/** GET /_matrix/federation/v1/backfill/{roomId} — server-server API "Backfilling and retrieving missing events". */
import { MatrixError } from "../../errors.js";
import { defineRoute } from "../route.js";
import { integerParam } from "../query-params.js";

export const backfillRoom = defineRoute({
  operationId: "backfillRoom",
  method: "GET",
  paths: ["/_matrix/federation/v1/backfill/:roomId"],
  auth: "server",
  async handle(request) {
    const raw = request.query["v"];
    const from = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (from.length === 0) throw new MatrixError(400, "M_MISSING_PARAM", "v is required");
    const limit = integerParam(request, "limit", 0);
    if (limit === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "limit is required");
    await request.deps.federationRooms.acl.assertServerAllowed(request.origin!, request.params["roomId"] as string);
    return request.deps.federationRooms.history.backfill(request.origin!, request.params["roomId"] as string, from, limit);
  },
});
