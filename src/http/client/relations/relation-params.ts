/** Query parameters shared by the three GET /relations routes (client-server API "Event relationships"). */
import { MatrixError } from "../../../errors.js";
import type { RelationsRequest } from "../../../services/relations/relations-service.js";
import type { RouteRequest } from "../../route.js";

const DEFAULT_LIMIT = 5; // Synapse's default
const MAX_LIMIT = 100;

function single(request: RouteRequest<unknown>, name: string): string | undefined {
  const value = request.query[name];
  if (Array.isArray(value)) throw new MatrixError(400, "M_INVALID_PARAM", `${name} must be given once`);
  return value;
}

/** A positive integer `limit`, capped at `max`; 400 M_INVALID_PARAM otherwise. */
export function limitParam(request: RouteRequest<unknown>, fallback: number, max: number): number {
  const value = single(request, "limit");
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new MatrixError(400, "M_INVALID_PARAM", "limit must be a positive integer");
  return Math.min(Number(value), max);
}

/** Everything of a /relations request but the path. */
export function relationsQuery(request: RouteRequest<unknown>): RelationsRequest {
  const dir = single(request, "dir") ?? "b";
  if (dir !== "b" && dir !== "f") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be b or f");
  const recurse = single(request, "recurse");
  if (recurse !== undefined && recurse !== "true" && recurse !== "false") throw new MatrixError(400, "M_INVALID_PARAM", "recurse must be true or false");
  return {
    dir,
    limit: limitParam(request, DEFAULT_LIMIT, MAX_LIMIT),
    from: single(request, "from"),
    to: single(request, "to"),
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
