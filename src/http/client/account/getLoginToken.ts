/** POST /_matrix/client/v1/login/get_token — client-server API "Login: m.login.token". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const getLoginToken = defineRoute({
  operationId: "generateLoginToken",
  method: "POST",
  paths: clientPaths("/login/get_token", { versions: ["v1"], r0: false }),
  auth: "user",
  body: z.object({ auth: z.record(z.string(), z.unknown()).optional() }),
  rateLimit: "login",
  async handle({ deps, body, requester }) {
    const user = requester!;
    const outcome = await deps.uia.authenticate(
      { method: "POST", path: "/login/get_token", auth: body.auth, clientDict: {}, userId: user.userId },
      [{ stages: ["m.login.password"] }],
    );
    await deps.uia.finish(outcome.sessionId);
    return deps.login.createLoginToken(user.userId);
  },
});
