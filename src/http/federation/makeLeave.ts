/** GET /_matrix/federation/v1/make_leave/{roomId}/{userId} — server-server API "Leaving Rooms (Rejecting Invites)". */
import { defineRoute } from "../route.js";

export const makeLeave = defineRoute({
  operationId: "makeLeave",
  method: "GET",
  paths: ["/_matrix/federation/v1/make_leave/:roomId/:userId"],
  auth: "server",
  handle: async ({ deps, origin, params }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.memberships.make.makeLeave(origin!, params["roomId"] as string, params["userId"] as string);
  },
});
