/** PUT /user/{userId}/account_data/{type} — client-server API "Client Config". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setAccountData = defineRoute({
  operationId: "setAccountData",
  method: "PUT",
  paths: clientPaths("/user/:userId/account_data/:type"),
  auth: "user",
  body: z.record(z.string(), z.unknown()),
  fractions: true,
  async handle({ deps, params, body, requester }) {
    await deps.accountData.setForClient(requester!, params["userId"] as string, undefined, params["type"] as string, body);
    return {};
  },
});
