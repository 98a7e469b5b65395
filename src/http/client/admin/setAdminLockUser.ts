/** PUT /_matrix/client/v1/admin/lock/{userId} — client-server API "Server Administration" (account locking). */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setAdminLockUser = defineRoute({
  operationId: "setAdminLockUser",
  method: "PUT",
  paths: clientPaths("/admin/lock/:userId", { versions: ["v1"], r0: false }),
  auth: "user",
  body: z.object({ locked: z.boolean() }).passthrough(),
  handle: async ({ deps, params, requester, body }) => ({
    locked: await deps.accountModeration.set(requester!, params["userId"] as string, "locked", body.locked),
  }),
});
