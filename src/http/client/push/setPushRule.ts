/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — client-server API "Push Rules: API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";
import { rulePath, singleQuery } from "./rule-path.js";

export const setPushRule = defineRoute({
  operationId: "setPushRule",
  method: "PUT",
  paths: clientPaths("/pushrules/:scope/:kind/:ruleId"),
  auth: "user",
  // The rule's parts are checked by kind in the service; only `actions` is required of every rule.
  body: z.looseObject({ actions: z.array(z.unknown()) }),
  async handle(request) {
    const placement = { before: singleQuery(request, "before"), after: singleQuery(request, "after") };
    await request.deps.pushRules.setRule(request.requester!.userId, rulePath(request), request.body, placement);
    return {};
  },
});
