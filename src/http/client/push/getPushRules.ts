/** GET /_matrix/client/v3/pushrules/ — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";

export const getPushRules = defineRoute({
  operationId: "getPushRules",
  method: "GET",
  paths: clientPaths("/pushrules/"),
  auth: "user",
  async handle({ deps, requester }) {
    return { global: await deps.pushRules.ruleset(requester!.userId) };
  },
});
