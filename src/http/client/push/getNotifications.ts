/** GET /_matrix/client/v3/notifications — client-server API "Listing Notifications". */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";
import { singleQuery } from "./rule-path.js";

export const getNotifications = defineRoute({
  operationId: "getNotifications",
  method: "GET",
  paths: clientPaths("/notifications"),
  auth: "user",
  handle(request) {
    const limit = singleQuery(request, "limit");
    if (limit !== undefined && !/^\d{1,9}$/.test(limit)) throw new MatrixError(400, "M_INVALID_PARAM", "limit must be a non-negative integer");
    return request.deps.notifications.list(request.requester!, {
      from: singleQuery(request, "from"),
      limit: limit === undefined ? undefined : Number(limit),
      only: singleQuery(request, "only"),
    });
  },
});
