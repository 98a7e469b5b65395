/** GET /_matrix/federation/v1/event/{eventId} — server-server API "Retrieving events". */
import { defineRoute } from "../route.js";

export const getEvent = defineRoute({
  operationId: "getEvent",
  method: "GET",
  paths: ["/_matrix/federation/v1/event/:eventId"],
  auth: "server",
  handle: async ({ deps, origin, params }) => {
    const answer = await deps.federationRooms.events.getEvent(origin!, params["eventId"] as string);
    // The room is only known once the event is found: its ACL decides whether the origin may have it.
    const roomId = answer.pdus[0]?.room_id;
    if (typeof roomId === "string") await deps.federationRooms.acl.assertServerAllowed(origin!, roomId);
    return answer;
  },
});
