/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const getPushRuleActions = defineRoute({
  operationId: "getPushRuleActions",
  method: "GET",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId/actions"),
  auth: "user",
  async handle(request) {
    return { actions: await request.deps.pushRules.actions(request.requester!.userId, rulePath(request)) };
  },
});
