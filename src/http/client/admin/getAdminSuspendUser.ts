/** GET /_matrix/client/v1/admin/suspend/{userId} — client-server API "Server Administration" (account suspension). */
import { clientPaths, defineRoute } from "../../route.js";

export const getAdminSuspendUser = defineRoute({
  operationId: "getAdminSuspendUser",
  method: "GET",
  paths: clientPaths("/admin/suspend/:userId", { versions: ["v1"], r0: false }),
  auth: "user",
  handle: async ({ deps, params, requester }) => ({ suspended: await deps.accountModeration.get(requester!, params["userId"] as string, "suspended") }),
});
