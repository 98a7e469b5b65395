/** PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} — client-server API "Typing Notifications". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setTyping = defineRoute({
  operationId: "setTyping",
  method: "PUT",
  paths: clientPaths("/rooms/:roomId/typing/:userId"),
  auth: "user",
  body: z.object({ typing: z.boolean(), timeout: z.number().int().nonnegative().optional() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.typing.setTyping(requester!, params["roomId"] as string, params["userId"] as string, body.typing, body.timeout);
    return {};
  },
});
