/** GET /room_keys/version/{version} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomKeysVersion = defineRoute({
  operationId: "getRoomKeysVersion",
  method: "GET",
  paths: clientPaths("/room_keys/version/:version"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.keyBackup.version(requester!.userId, params["version"] as string),
});
