/** Query parameters shared by the three GET /relations routes (client-server API "Event relationships"). */
import { MatrixError } from "../../../errors.js";
import type { RelationsRequest } from "../../../services/relations/relations-service.js";
import type { RouteRequest } from "../../route.js";
import { limitParam, singleParam } from "../../query-params.js";

const DEFAULT_LIMIT = 5; // Synapse's default
const MAX_LIMIT = 100;

/** Everything of a /relations request but the path. */
export function relationsQuery(request: RouteRequest<unknown>): RelationsRequest {
  const dir = singleParam(request, "dir") ?? "b";
  if (dir !== "b" && dir !== "f") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be b or f");
  const recurse = singleParam(request, "recurse");
  if (recurse !== undefined && recurse !== "true" && recurse !== "false") throw new MatrixError(400, "M_INVALID_PARAM", "recurse must be true or false");
  return {
    dir,
    limit: limitParam(request, DEFAULT_LIMIT, MAX_LIMIT),
    from: singleParam(request, "from"),
    to: singleParam(request, "to"),
    recurse: recurse === undefined ? undefined : recurse === "true",
  };
}

/** Calls the service for a parent event, with the optional relType and eventType of the path. */
export function getRelations(request: RouteRequest<unknown>): Promise<unknown> {
  const { deps, params, requester } = request;
  return deps.relations.relations(params["roomId"] as string, params["eventId"] as string, requester!, {
    ...relationsQuery(request),
    relType: params["relType"],
    eventType: params["eventType"],
  });
}
