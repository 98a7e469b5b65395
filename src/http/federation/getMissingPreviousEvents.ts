/** POST /_matrix/federation/v1/get_missing_events/{roomId} — server-server API "Retrieving events". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const getMissingPreviousEvents = defineRoute({
  operationId: "getMissingPreviousEvents",
  method: "POST",
  paths: ["/_matrix/federation/v1/get_missing_events/:roomId"],
  auth: "server",
  body: z.object({
    earliest_events: z.array(z.string()).max(100),
    latest_events: z.array(z.string()).max(100),
    limit: z.number().int().optional(),
    min_depth: z.number().int().optional(),
  }),
  handle: async ({ deps, origin, params, body }) => {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.events.getMissingEvents(origin!, params["roomId"] as string, body);
  },
});
