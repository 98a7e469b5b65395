/**
 * POST /_synapse/admin/v1/purge_media_cache?before_ts=... — Synapse's admin API "Purge Remote Media
 * API": deletes the cached copies of other servers' media last accessed before `before_ts` (ms) and
 * answers `{"deleted": N}`. Server admins only.
 */
import { MatrixError } from "../../errors.js";
import { integerParam } from "../query-params.js";
import { defineRoute } from "../route.js";

/** Timestamps below this are seconds, not milliseconds (Synapse refuses them the same way). */
const MIN_PLAUSIBLE_MS = 30_000_000_000;

export const purgeMediaCache = defineRoute({
  operationId: "purgeMediaCache",
  method: "POST",
  paths: ["/_synapse/admin/v1/purge_media_cache"],
  auth: "user",
  handle: (request) => {
    if (!request.requester!.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
    const beforeTs = integerParam(request, "before_ts", 0);
    if (beforeTs === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing integer query parameter 'before_ts'");
    if (beforeTs < MIN_PLAUSIBLE_MS) {
      throw new MatrixError(400, "M_INVALID_PARAM", "Query parameter before_ts you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.");
    }
    return request.deps.mediaAdmin.purgeRemoteCache(request.requester!, beforeTs);
  },
});
