/** GET /_matrix/client/v3/rooms/{roomId}/aliases — client-server API "Room aliases". */
import { clientPaths, defineRoute } from "../../route.js";

export const getLocalAliases = defineRoute({
  operationId: "getLocalAliases",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/aliases", { r0: false }),
  auth: "user",
  async handle({ deps, params, requester }) {
    return { aliases: await deps.aliases.localAliases(requester!, params["roomId"] as string) };
  },
});
