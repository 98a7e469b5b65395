/** POST /_matrix/client/v3/account/deactivate — client-server API "Account deactivation". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const deactivateAccount = defineRoute({
  operationId: "deactivateAccount",
  method: "POST",
  paths: clientPaths("/account/deactivate"),
  auth: "user",
  body: z.object({
    auth: z.record(z.string(), z.unknown()).optional(),
    id_server: z.string().optional(),
    erase: z.boolean().optional(),
  }),
  async handle({ deps, body, requester }) {
    const user = requester!;
    const outcome = await deps.uia.authenticate(
      { method: "POST", path: "/account/deactivate", auth: body.auth, clientDict: {}, userId: user.userId },
      [{ stages: ["m.login.password"] }],
    );
    await deps.accounts.deactivate(user.userId, { erase: body.erase ?? false });
    await deps.uia.finish(outcome.sessionId);
    // No identity server binds are made by Tessera, so there is nothing to unbind.
    return { id_server_unbind_result: "no-support" };
  },
});
