/** GET /_matrix/federation/v1/query/profile — server-server API "Querying for information". */
import { MatrixError } from "../../errors.js";
import { requiredParam, singleParam } from "../query-params.js";
import { defineRoute } from "../route.js";

export const queryProfile = defineRoute({
  operationId: "queryProfile",
  method: "GET",
  paths: ["/_matrix/federation/v1/query/profile"],
  auth: "server",
  handle: (request) => {
    const userId = requiredParam(request, "user_id");
    const field = singleParam(request, "field");
    if (!userId.endsWith(`:${request.deps.config.server_name}`)) throw new MatrixError(400, "M_INVALID_PARAM", "The user is not local to this server");
    return field === undefined ? request.deps.profiles.getProfile(userId) : request.deps.profiles.getField(userId, field);
  },
});
