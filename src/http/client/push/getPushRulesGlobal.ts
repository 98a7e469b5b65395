/** GET /_matrix/client/v3/pushrules/global/ — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";

export const getPushRulesGlobal = defineRoute({
  operationId: "getPushRulesGlobal",
  method: "GET",
  // Any scope is routed here so that an unknown one is a 400 (as Synapse answers), not a 404.
  paths: clientPaths("/pushrules/:scope/"),
  auth: "user",
  async handle({ deps, params, requester }) {
    deps.pushRules.checkScope(params["scope"] as string);
    return deps.pushRules.ruleset(requester!.userId);
  },
});
