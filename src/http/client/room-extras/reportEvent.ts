/** POST /_matrix/client/v3/rooms/{roomId}/report/{eventId} — client-server API "Reporting content". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const reportEvent = defineRoute({
  operationId: "reportEvent",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/report/:eventId"),
  auth: "user",
  // `score` was removed in v1.18; older clients still send it and it is ignored.
  body: z.object({ reason: z.string().optional() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.reports.reportEvent(requester!.userId, params["roomId"] as string, params["eventId"] as string, body.reason);
    return {};
  },
});
