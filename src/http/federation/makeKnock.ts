/** GET /_matrix/federation/v1/make_knock/{roomId}/{userId} — server-server API "Knocking upon a room". */
import { defineRoute } from "../route.js";

export const makeKnock = defineRoute({
  operationId: "makeKnock",
  method: "GET",
  paths: ["/_matrix/federation/v1/make_knock/:roomId/:userId"],
  auth: "server",
  handle: async ({ deps, origin, params, query }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    // `ver` may repeat; the spec requires it (knocking exists from room version 7).
    const versions = [query["ver"]].flat().filter((v): v is string => typeof v === "string");
    return deps.federationRooms.memberships.make.makeKnock(origin!, params["roomId"] as string, params["userId"] as string, versions);
  },
});
