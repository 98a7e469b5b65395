/** PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId} — server-server API "Knocking upon a room". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendKnock = defineRoute({
  operationId: "sendKnock",
  method: "PUT",
  paths: ["/_matrix/federation/v1/send_knock/:roomId/:eventId"],
  auth: "server",
  // The event is checked in full (format, signatures, hashes) by the service.
  body: z.record(z.string(), z.unknown()),
  handle: async ({ deps, origin, params, body }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.memberships.send.sendKnock(origin!, params["roomId"] as string, params["eventId"] as string, body);
  },
});
