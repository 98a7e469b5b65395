/** GET /_matrix/federation/v1/state/{roomId} — server-server API "Retrieving events". */
import { defineRoute } from "../route.js";
import { requiredParam } from "../query-params.js";

export const getRoomState = defineRoute({
  operationId: "getRoomState",
  method: "GET",
  paths: ["/_matrix/federation/v1/state/:roomId"],
  auth: "server",
  async handle(request) {
    const roomId = request.params["roomId"] as string;
    await request.deps.federationRooms.acl.assertServerAllowed(request.origin!, roomId);
    return request.deps.federationRooms.state.state(request.origin!, roomId, requiredParam(request, "event_id"));
  },
});
