/** GET /_matrix/federation/v1/state_ids/{roomId} — server-server API "Retrieving events". */
import { defineRoute } from "../route.js";
import { requiredParam } from "../query-params.js";

export const getRoomStateIds = defineRoute({
  operationId: "getRoomStateIds",
  method: "GET",
  paths: ["/_matrix/federation/v1/state_ids/:roomId"],
  auth: "server",
  async handle(request) {
    const roomId = request.params["roomId"] as string;
    await request.deps.federationRooms.acl.assertServerAllowed(request.origin!, roomId);
    return request.deps.federationRooms.state.stateIds(request.origin!, roomId, requiredParam(request, "event_id"));
  },
});
