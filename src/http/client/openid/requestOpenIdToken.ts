/** POST /_matrix/client/v3/user/{userId}/openid/request_token — client-server API "OpenID". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const requestOpenIdToken = defineRoute({
  operationId: "requestOpenIdToken",
  method: "POST",
  paths: clientPaths("/user/:userId/openid/request_token"),
  auth: "user",
  // "An empty object. Reserved for future expansion."
  body: z.object({}).passthrough(),
  handle: ({ deps, params, requester }) => deps.openId.requestToken(requester!.userId, params["userId"] as string),
});
