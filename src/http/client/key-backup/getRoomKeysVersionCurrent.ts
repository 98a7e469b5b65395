/** GET /room_keys/version — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";

export const getRoomKeysVersionCurrent = defineRoute({
  operationId: "getRoomKeysVersionCurrent",
  method: "GET",
  paths: clientPaths("/room_keys/version"),
  auth: "user",
  handle: ({ deps, requester }) => deps.keyBackup.currentVersion(requester!.userId),
});
