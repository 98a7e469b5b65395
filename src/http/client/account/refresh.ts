/** POST /_matrix/client/v3/refresh — client-server API "Refreshing access tokens". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const refresh = defineRoute({
  operationId: "refresh",
  method: "POST",
  paths: clientPaths("/refresh", { versions: ["v3", "v1"], r0: false }),
  auth: "none",
  body: z.object({ refresh_token: z.string() }),
  rateLimit: "login",
  handle: ({ deps, body }) => deps.auth.refresh(body.refresh_token),
});
