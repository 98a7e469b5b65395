/** GET /_matrix/client/v3/publicRooms — client-server API "Published room directory". */
import { clientPaths, defineRoute } from "../../route.js";
import { integerParam, singleParam } from "../../query-params.js";

export const getPublicRooms = defineRoute({
  operationId: "getPublicRooms",
  method: "GET",
  paths: clientPaths("/publicRooms"),
  auth: "optional",
  allowGuests: true,
  handle(request) {
    const limit = integerParam(request, "limit", 0);
    const since = singleParam(request, "since");
    const server = singleParam(request, "server");
    return request.deps.roomDirectory.publicRooms({
      // A limit of 0 is no limit (a page of nothing would never advance).
      ...(limit !== undefined && limit > 0 ? { limit } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(server !== undefined ? { server } : {}),
    });
  },
});
