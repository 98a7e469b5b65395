/** GET /_matrix/client/v1/rooms/{roomId}/threads — client-server API "Threading" (querying threads in a room). */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";
import { limitParam } from "../../query-params.js";

export const getThreadRoots = defineRoute({
  operationId: "getThreadRoots",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/threads", { versions: ["v1"], r0: false }),
  auth: "user",
  handle(request) {
    const { deps, params, query, requester } = request;
    const include = query["include"] ?? "all";
    if (include !== "all" && include !== "participated") throw new MatrixError(400, "M_INVALID_PARAM", "include must be all or participated");
    const from = query["from"];
    if (Array.isArray(from)) throw new MatrixError(400, "M_INVALID_PARAM", "from must be given once");
    return deps.relations.threads(params["roomId"] as string, requester!, { include, from, limit: limitParam(request, 5, 100) });
  },
});
