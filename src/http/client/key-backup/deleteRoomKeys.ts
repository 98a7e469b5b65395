/** DELETE /room_keys/keys — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const deleteRoomKeys = defineRoute({
  operationId: "deleteRoomKeys",
  method: "DELETE",
  paths: clientPaths("/room_keys/keys"),
  auth: "user",
  handle: (request) => request.deps.keyBackup.deleteKeys(request.requester!.userId, versionParam(request), {}),
});
