/** GET /_matrix/federation/v1/make_join/{roomId}/{userId} — server-server API "Joining Rooms". */
import { defineRoute } from "../route.js";

export const makeJoin = defineRoute({
  operationId: "makeJoin",
  method: "GET",
  paths: ["/_matrix/federation/v1/make_join/:roomId/:userId"],
  auth: "server",
  handle: async ({ deps, origin, params, query }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    // `ver` may repeat; without it the joining server supports only room version 1.
    const versions = [query["ver"]].flat().filter((v): v is string => typeof v === "string");
    return deps.federationRooms.makeJoin.makeJoin(origin!, params["roomId"] as string, params["userId"] as string, versions);
  },
});
