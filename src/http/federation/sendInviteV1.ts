/** PUT /_matrix/federation/v1/invite/{roomId}/{eventId} — server-server API "Inviting to a room" (v1, rooms of version 1 and 2). */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendInviteV1 = defineRoute({
  operationId: "sendInviteV1",
  method: "PUT",
  paths: ["/_matrix/federation/v1/invite/:roomId/:eventId"],
  auth: "server",
  // The body is the invite event itself, checked by the service.
  body: z.record(z.string(), z.unknown()),
  handle: async ({ deps, origin, params, body }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.memberships.invites.inviteV1(origin!, params["roomId"] as string, params["eventId"] as string, body as never);
  },
});
