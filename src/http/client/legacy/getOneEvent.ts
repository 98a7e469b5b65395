/** GET /_matrix/client/v3/events/{eventId} — client-server API old_sync `getOneEvent` (deprecated). */
import { clientPaths, defineRoute } from "../../route.js";

export const getOneEvent = defineRoute({
  operationId: "getOneEvent",
  method: "GET",
  paths: clientPaths("/events/:eventId"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.eventStream.event(requester!, params["eventId"] as string),
});
