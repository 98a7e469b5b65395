/** PUT /_matrix/client/v3/presence/{userId}/status — client-server API "Presence". */
import { z } from "zod";
import { PRESENCE_STATES } from "../../../services/presence/presence-state.js";
import { clientPaths, defineRoute } from "../../route.js";

export const setPresence = defineRoute({
  operationId: "setPresence",
  method: "PUT",
  paths: clientPaths("/presence/:userId/status"),
  auth: "user",
  body: z.object({ presence: z.enum(PRESENCE_STATES), status_msg: z.string().optional() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.presence.setPresence(requester!, params["userId"] as string, body.presence, body.status_msg);
    return {};
  },
});
