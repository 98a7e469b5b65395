/** PUT /_matrix/client/v3/directory/room/{roomAlias} — client-server API "Room aliases". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setRoomAlias = defineRoute({
  operationId: "setRoomAlias",
  method: "PUT",
  paths: clientPaths("/directory/room/:roomAlias"),
  auth: "user",
  body: z.object({ room_id: z.string() }).passthrough(),
  async handle({ deps, params, body, requester }) {
    await deps.aliases.setAlias(requester!, params["roomAlias"] as string, body.room_id);
    return {};
  },
});
