/**
 * POST /_synapse/admin/v1/media/delete?before_ts=... (and the older .../media/{serverName}/delete) —
 * Synapse's admin API "Delete local media by date or size": local media last accessed before
 * `before_ts` (ms) and larger than `size_gt` bytes (default 0); avatars kept unless
 * `keep_profiles=false`. Server admins only.
 */
import { MatrixError } from "../../errors.js";
import { booleanParam, integerParam } from "../query-params.js";
import { defineRoute, type RouteRequest } from "../route.js";

/** Timestamps below this are seconds, not milliseconds (Synapse refuses them the same way). */
const MIN_PLAUSIBLE_MS = 30_000_000_000;

function handle(request: RouteRequest<unknown>, serverName?: string): unknown {
  if (!request.requester!.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
  const beforeTs = integerParam(request, "before_ts", 0);
  if (beforeTs === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing integer query parameter 'before_ts'");
  if (beforeTs < MIN_PLAUSIBLE_MS) {
    throw new MatrixError(400, "M_INVALID_PARAM", "Query parameter before_ts you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.");
  }
  return request.deps.mediaAdmin.deleteByAge(request.requester!, {
    beforeTs,
    sizeGt: integerParam(request, "size_gt", 0) ?? 0,
    keepProfiles: booleanParam(request, "keep_profiles", true),
    ...(serverName !== undefined ? { serverName } : {}),
  });
}

export const deleteMediaByDateSize = defineRoute({
  operationId: "deleteMediaByDateSize",
  method: "POST",
  paths: ["/_synapse/admin/v1/media/delete"],
  auth: "user",
  handle: (request) => handle(request),
});

export const deleteMediaByDateSizeOnServer = defineRoute({
  operationId: "deleteMediaByDateSize",
  method: "POST",
  paths: ["/_synapse/admin/v1/media/:serverName/delete"],
  auth: "user",
  handle: (request) => handle(request, request.params["serverName"]!),
});
