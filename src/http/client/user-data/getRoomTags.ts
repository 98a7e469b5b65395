/** GET /user/{userId}/rooms/{roomId}/tags — client-server API "Room Tagging". */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomTags = defineRoute({
  operationId: "getRoomTags",
  method: "GET",
  paths: clientPaths("/user/:userId/rooms/:roomId/tags"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.tags.getTags(requester!, params["userId"] as string, params["roomId"] as string),
});
