/**
 * DELETE /_synapse/admin/v1/users/{userId}/media — Synapse's admin API "Delete media uploaded by a
 * user": one page of the user's media (`limit`, default 100; `from`; `order_by`; `dir`), as Synapse
 * pages it. Server admins only.
 */
import { MatrixError } from "../../errors.js";
import type { MediaOrder } from "../../services/media/media-admin-service.js";
import { integerParam, singleParam } from "../query-params.js";
import { defineRoute } from "../route.js";

/** Synapse's `order_by` names and the columns they sort by. */
const ORDERS: Readonly<Record<string, MediaOrder>> = {
  media_id: "media_id",
  upload_name: "upload_name",
  created_ts: "created_ts",
  last_access_ts: "last_access_ts",
  media_length: "size",
  media_type: "content_type",
};

export const deleteUserMedia = defineRoute({
  operationId: "deleteUserMedia",
  method: "DELETE",
  paths: ["/_synapse/admin/v1/users/:userId/media"],
  auth: "user",
  handle: (request) => {
    const orderBy = ORDERS[singleParam(request, "order_by") ?? "created_ts"];
    if (!orderBy) throw new MatrixError(400, "M_INVALID_PARAM", "Unknown value for order_by");
    const dir = singleParam(request, "dir") ?? "f";
    if (dir !== "f" && dir !== "b") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be f or b");
    return request.deps.mediaAdmin.deleteByUser(request.requester!, request.params["userId"]!, {
      limit: integerParam(request, "limit", 0) ?? 100,
      offset: integerParam(request, "from", 0) ?? 0,
      orderBy,
      direction: dir === "f" ? "asc" : "desc",
    });
  },
});
