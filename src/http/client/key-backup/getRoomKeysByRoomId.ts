/** GET /room_keys/keys/{roomId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const getRoomKeysByRoomId = defineRoute({
  operationId: "getRoomKeysByRoomId",
  method: "GET",
  paths: clientPaths("/room_keys/keys/:roomId"),
  auth: "user",
  handle: (request) => request.deps.keyBackup.roomKeys(request.requester!.userId, versionParam(request), request.params["roomId"] as string),
});
