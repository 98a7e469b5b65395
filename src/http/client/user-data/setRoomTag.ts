/** PUT /user/{userId}/rooms/{roomId}/tags/{tag} — client-server API "Room Tagging". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setRoomTag = defineRoute({
  operationId: "setRoomTag",
  method: "PUT",
  paths: clientPaths("/user/:userId/rooms/:roomId/tags/:tag"),
  auth: "user",
  body: z.record(z.string(), z.unknown()),
  // `order` is a fraction in [0, 1].
  fractions: true,
  async handle({ deps, params, body, requester }) {
    await deps.tags.setTag(requester!, params["userId"] as string, params["roomId"] as string, params["tag"] as string, body);
    return {};
  },
});
