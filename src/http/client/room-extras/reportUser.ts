/** POST /_matrix/client/v3/users/{userId}/report — client-server API "Reporting content" (v1.14). */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const reportUser = defineRoute({
  operationId: "reportUser",
  method: "POST",
  paths: clientPaths("/users/:userId/report", { r0: false }),
  auth: "user",
  body: z.object({ reason: z.string() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.reports.reportUser(requester!.userId, params["userId"] as string, body.reason);
    return {};
  },
});
