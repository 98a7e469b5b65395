/**
 * GET /_matrix/federation/v1/openid/userinfo — server-server API "OpenID". Not signed by a server: the
 * caller is any third party a user gave an OpenID token to, and the token is the only credential.
 */
import { MatrixError } from "../../errors.js";
import { singleParam } from "../query-params.js";
import { defineRoute } from "../route.js";

export const exchangeOpenIdToken = defineRoute({
  operationId: "exchangeOpenIdToken",
  method: "GET",
  paths: ["/_matrix/federation/v1/openid/userinfo"],
  auth: "none",
  handle: async (request) => {
    const token = singleParam(request, "access_token");
    // Without a token Synapse answers 401 M_MISSING_TOKEN, as the client API does for access tokens.
    if (token === undefined || token === "") throw new MatrixError(401, "M_MISSING_TOKEN", "Access token required");
    const userId = await request.deps.openId.userForToken(token);
    if (userId === undefined) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Access token unknown or expired");
    return { sub: userId };
  },
});
