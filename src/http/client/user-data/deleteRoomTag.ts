/** DELETE /user/{userId}/rooms/{roomId}/tags/{tag} — client-server API "Room Tagging". */
import { clientPaths, defineRoute } from "../../route.js";

export const deleteRoomTag = defineRoute({
  operationId: "deleteRoomTag",
  method: "DELETE",
  paths: clientPaths("/user/:userId/rooms/:roomId/tags/:tag"),
  auth: "user",
  async handle({ deps, params, requester }) {
    await deps.tags.deleteTag(requester!, params["userId"] as string, params["roomId"] as string, params["tag"] as string);
    return {};
  },
});
