/** GET /_matrix/federation/v1/query/directory — server-server API "Querying for information". */
import { MatrixError } from "../../errors.js";
import { singleParam } from "../query-params.js";
import { defineRoute } from "../route.js";

export const queryRoomDirectory = defineRoute({
  operationId: "queryRoomDirectory",
  method: "GET",
  paths: ["/_matrix/federation/v1/query/directory"],
  auth: "server",
  handle: (request) => {
    // A missing alias is as invalid as a malformed one: both are 400 M_INVALID_PARAM.
    const alias = singleParam(request, "room_alias");
    if (alias === undefined || alias === "") throw new MatrixError(400, "M_INVALID_PARAM", "room_alias is required");
    return request.deps.aliases.getLocalAlias(alias);
  },
});
