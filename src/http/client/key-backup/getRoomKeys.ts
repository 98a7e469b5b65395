/** GET /room_keys/keys — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const getRoomKeys = defineRoute({
  operationId: "getRoomKeys",
  method: "GET",
  paths: clientPaths("/room_keys/keys"),
  auth: "user",
  handle: (request) => request.deps.keyBackup.allKeys(request.requester!.userId, versionParam(request)),
});
