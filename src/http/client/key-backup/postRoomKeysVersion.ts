/** POST /room_keys/version — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { backupVersion } from "./key-backup-schemas.js";

export const postRoomKeysVersion = defineRoute({
  operationId: "postRoomKeysVersion",
  method: "POST",
  paths: clientPaths("/room_keys/version"),
  auth: "user",
  body: backupVersion,
  handle: ({ deps, body, requester }) => deps.keyBackup.createVersion(requester!.userId, body.algorithm, body.auth_data),
});
