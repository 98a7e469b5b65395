/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions — client-server API "Push Rules: API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const setPushRuleActions = defineRoute({
  operationId: "setPushRuleActions",
  method: "PUT",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId/actions"),
  auth: "user",
  body: z.object({ actions: z.array(z.unknown()) }),
  async handle(request) {
    await request.deps.pushRules.setActions(request.requester!.userId, rulePath(request), request.body.actions);
    return {};
  },
});
