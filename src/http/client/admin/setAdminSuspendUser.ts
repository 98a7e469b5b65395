/** PUT /_matrix/client/v1/admin/suspend/{userId} — client-server API "Server Administration" (account suspension). */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setAdminSuspendUser = defineRoute({
  operationId: "setAdminSuspendUser",
  method: "PUT",
  paths: clientPaths("/admin/suspend/:userId", { versions: ["v1"], r0: false }),
  auth: "user",
  body: z.object({ suspended: z.boolean() }).passthrough(),
  handle: async ({ deps, params, requester, body }) => ({
    suspended: await deps.accountModeration.set(requester!, params["userId"] as string, "suspended", body.suspended),
  }),
});
