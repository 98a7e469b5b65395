/** PUT /_matrix/federation/v2/send_join/{roomId}/{eventId} — server-server API "Joining Rooms". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendJoinV2 = defineRoute({
  operationId: "sendJoinV2",
  method: "PUT",
  paths: ["/_matrix/federation/v2/send_join/:roomId/:eventId"],
  auth: "server",
  // The event is checked in full (format, signatures, hashes) by the service.
  body: z.record(z.string(), z.unknown()),
  handle: async ({ deps, origin, params, body, query }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.sendJoin.sendJoin(origin!, params["roomId"] as string, params["eventId"] as string, body, query["omit_members"] === "true");
  },
});
