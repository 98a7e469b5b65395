/** GET /_matrix/federation/v1/event_auth/{roomId}/{eventId} — server-server API "Event authorisation". */
import { defineRoute } from "../route.js";

export const getEventAuth = defineRoute({
  operationId: "getEventAuth",
  method: "GET",
  paths: ["/_matrix/federation/v1/event_auth/:roomId/:eventId"],
  auth: "server",
  async handle({ deps, origin, params }) {
    await deps.federationRooms.acl.assertServerAllowed(origin!, params["roomId"] as string);
    return deps.federationRooms.state.eventAuth(origin!, params["roomId"] as string, params["eventId"] as string);
  },
});
