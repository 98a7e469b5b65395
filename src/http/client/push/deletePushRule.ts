/** DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — client-server API "Push Rules: API". */
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const deletePushRule = defineRoute({
  operationId: "deletePushRule",
  method: "DELETE",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId"),
  auth: "user",
  async handle(request) {
    await request.deps.pushRules.deleteRule(request.requester!.userId, rulePath(request));
    return {};
  },
});
