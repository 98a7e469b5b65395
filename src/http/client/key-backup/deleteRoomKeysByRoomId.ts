/** DELETE /room_keys/keys/{roomId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const deleteRoomKeysByRoomId = defineRoute({
  operationId: "deleteRoomKeysByRoomId",
  method: "DELETE",
  paths: clientPaths("/room_keys/keys/:roomId"),
  auth: "user",
  handle: (request) =>
    request.deps.keyBackup.deleteKeys(request.requester!.userId, versionParam(request), { roomId: request.params["roomId"] as string }),
});
