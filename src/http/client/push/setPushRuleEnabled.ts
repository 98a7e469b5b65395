/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled — client-server API "Push Rules: API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath } from "./rule-path.js";

export const setPushRuleEnabled = defineRoute({
  operationId: "setPushRuleEnabled",
  method: "PUT",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId/enabled"),
  auth: "user",
  body: z.object({ enabled: z.boolean() }),
  async handle(request) {
    await request.deps.pushRules.setEnabled(request.requester!.userId, rulePath(request), request.body.enabled);
    return {};
  },
});
