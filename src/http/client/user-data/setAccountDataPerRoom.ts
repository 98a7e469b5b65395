/** PUT /user/{userId}/rooms/{roomId}/account_data/{type} — client-server API "Client Config". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setAccountDataPerRoom = defineRoute({
  operationId: "setAccountDataPerRoom",
  method: "PUT",
  paths: clientPaths("/user/:userId/rooms/:roomId/account_data/:type"),
  auth: "user",
  body: z.record(z.string(), z.unknown()),
  fractions: true,
  async handle({ deps, params, body, requester }) {
    await deps.accountData.setForClient(requester!, params["userId"] as string, params["roomId"] as string, params["type"] as string, body);
    return {};
  },
});
