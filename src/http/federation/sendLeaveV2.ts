/** PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId} — server-server API "Leaving Rooms (Rejecting Invites)". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendLeaveV2 = defineRoute({
  operationId: "sendLeaveV2",
  method: "PUT",
  paths: ["/_matrix/federation/v2/send_leave/:roomId/:eventId"],
  auth: "server",
  // The event is checked in full (format, signatures, hashes) by the service.
  body: z.record(z.string(), z.unknown()),
  handle: async ({ deps, origin, params, body }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.memberships.send.sendLeave(origin!, params["roomId"] as string, params["eventId"] as string, body);
  },
});
