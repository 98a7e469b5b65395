/** DELETE /_matrix/client/v3/directory/room/{roomAlias} — client-server API "Room aliases". */
import { clientPaths, defineRoute } from "../../route.js";

export const deleteRoomAlias = defineRoute({
  operationId: "deleteRoomAlias",
  method: "DELETE",
  paths: clientPaths("/directory/room/:roomAlias"),
  auth: "user",
  async handle({ deps, params, requester }) {
    await deps.aliases.deleteAlias(requester!, params["roomAlias"] as string);
    return {};
  },
});
