/** PUT /_matrix/federation/v2/invite/{roomId}/{eventId} — server-server API "Inviting to a room". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendInviteV2 = defineRoute({
  operationId: "sendInviteV2",
  method: "PUT",
  paths: ["/_matrix/federation/v2/invite/:roomId/:eventId"],
  auth: "server",
  // The event and the stripped state are checked by the service.
  body: z.record(z.string(), z.unknown()),
  handle: async ({ deps, origin, params, body }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.memberships.invites.inviteV2(origin!, params["roomId"] as string, params["eventId"] as string, body as never);
  },
});
