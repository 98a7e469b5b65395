/** POST /_matrix/client/v3/rooms/{roomId}/upgrade — client-server API "Room upgrades". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const upgradeRoom = defineRoute({
  operationId: "upgradeRoom",
  method: "POST",
  // Added in r0.5.0, so the r0 prefix serves it too.
  paths: clientPaths("/rooms/:roomId/upgrade"),
  auth: "user",
  body: z
    .object({
      new_version: z.string(),
      additional_creators: z.array(z.string()).optional(),
    })
    .passthrough(),
  handle: ({ deps, params, body, requester }) =>
    deps.roomUpgrades.upgrade(requester!.userId, params["roomId"] as string, body.new_version, body.additional_creators ?? []),
});
