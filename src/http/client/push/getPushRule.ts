/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const getPushRule = defineRoute({
  operationId: "getPushRule",
  method: "GET",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId"),
  auth: "user",
  handle(request) {
    return request.deps.pushRules.rule(request.requester!.userId, rulePath(request));
  },
});
