/** GET /_matrix/federation/v1/event/{eventId} — server-server API "Retrieving events". */
import { defineRoute } from "../route.js";

export const getEvent = defineRoute({
  operationId: "getEvent",
  method: "GET",
  paths: ["/_matrix/federation/v1/event/:eventId"],
  auth: "server",
  handle: ({ deps, origin, params }) => deps.federationRooms.events.getEvent(origin!, params["eventId"] as string),
});
