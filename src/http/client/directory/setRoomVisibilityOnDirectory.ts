/** PUT /_matrix/client/v3/directory/list/room/{roomId} — client-server API "Published room directory". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setRoomVisibilityOnDirectory = defineRoute({
  operationId: "setRoomVisibilityOnDirectory",
  method: "PUT",
  paths: clientPaths("/directory/list/room/:roomId"),
  auth: "user",
  body: z.object({ visibility: z.enum(["public", "private"]).optional() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.roomDirectory.setVisibility(requester!, params["roomId"] as string, body.visibility ?? "public");
    return {};
  },
});
