/** POST /_matrix/client/v3/account/password — client-server API "Password management". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const changePassword = defineRoute({
  operationId: "changePassword",
  method: "POST",
  paths: clientPaths("/account/password"),
  auth: "user",
  body: z.object({
    auth: z.record(z.string(), z.unknown()).optional(),
    new_password: z.string(),
    logout_devices: z.boolean().optional(),
  }),
  rateLimit: "login",
  async handle({ deps, body, requester }) {
    const user = requester!;
    deps.registration.validatePassword(body.new_password);
    const outcome = await deps.uia.authenticate(
      { method: "POST", path: "/account/password", auth: body.auth, clientDict: {}, userId: user.userId },
      [{ stages: ["m.login.password"] }],
    );
    await deps.accounts.changePassword(user, user.userId, body.new_password, body.logout_devices ?? true);
    await deps.uia.finish(outcome.sessionId);
    return {};
  },
});
