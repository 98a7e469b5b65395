/** GET /_matrix/client/v3/rooms/{roomId}/initialSync — client-server API room_initial_sync ("Room Previews"). */
import { clientPaths, defineRoute } from "../../route.js";
import { limitParam } from "../../query-params.js";

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

export const roomInitialSync = defineRoute({
  operationId: "roomInitialSync",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/initialSync"),
  auth: "user",
  // Guests preview world_readable rooms this way.
  allowGuests: true,
  handle: (request) =>
    // The spec gives no parameters; Synapse reads `limit` as the old pagination did.
    request.deps.initialSync.roomInitialSync(request.requester!, request.params["roomId"] as string, limitParam(request, DEFAULT_LIMIT, MAX_LIMIT, 0)),
});
