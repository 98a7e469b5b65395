/** GET /_matrix/client/v1/admin/lock/{userId} — client-server API "Server Administration" (account locking). */
import { clientPaths, defineRoute } from "../../route.js";

export const getAdminLockUser = defineRoute({
  operationId: "getAdminLockUser",
  method: "GET",
  paths: clientPaths("/admin/lock/:userId", { versions: ["v1"], r0: false }),
  auth: "user",
  handle: async ({ deps, params, requester }) => ({ locked: await deps.accountModeration.get(requester!, params["userId"] as string, "locked") }),
});
