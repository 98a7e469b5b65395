/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const isPushRuleEnabled = defineRoute({
  operationId: "isPushRuleEnabled",
  method: "GET",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId/enabled"),
  auth: "user",
  async handle(request) {
    return { enabled: await request.deps.pushRules.isEnabled(request.requester!.userId, rulePath(request)) };
  },
});
