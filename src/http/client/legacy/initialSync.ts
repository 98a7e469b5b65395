/** GET /_matrix/client/v3/initialSync — client-server API old_sync `initialSync` (deprecated). */
import { clientPaths, defineRoute } from "../../route.js";
import { booleanParam, limitParam } from "../../query-params.js";

/** Messages per room when the client gives no limit (as Synapse). */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

export const initialSync = defineRoute({
  operationId: "initialSync",
  method: "GET",
  paths: clientPaths("/initialSync"),
  auth: "user",
  handle: (request) =>
    request.deps.initialSync.initialSync(request.requester!, {
      limit: limitParam(request, DEFAULT_LIMIT, MAX_LIMIT, 0),
      archived: booleanParam(request, "archived", false),
    }),
});
