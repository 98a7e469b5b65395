/** GET /_matrix/client/v1/room_summary/{roomIdOrAlias} — client-server API "Room summaries" (v1.15). */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomSummary = defineRoute({
  operationId: "getRoomSummary",
  method: "GET",
  paths: clientPaths("/room_summary/:roomIdOrAlias", { r0: false, versions: ["v1"] }),
  // The spec lets servers answer unauthenticated callers for rooms anyone may preview; the service
  // only shows those to them. `via` is for asking other servers, which needs federation.
  auth: "optional",
  allowGuests: true,
  handle: ({ deps, params, requester }) => deps.roomSummaries.summary(params["roomIdOrAlias"] as string, requester?.userId),
});
