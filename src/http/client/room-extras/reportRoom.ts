/** POST /_matrix/client/v3/rooms/{roomId}/report — client-server API "Reporting content" (v1.13). */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const reportRoom = defineRoute({
  operationId: "reportRoom",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/report", { r0: false }),
  auth: "user",
  body: z.object({ reason: z.string() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.reports.reportRoom(requester!.userId, params["roomId"] as string, body.reason);
    return {};
  },
});
