/** PUT /room_keys/keys/{roomId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { roomKeyBackup, versionParam } from "./key-backup-schemas.js";

export const putRoomKeysByRoomId = defineRoute({
  operationId: "putRoomKeysByRoomId",
  method: "PUT",
  paths: clientPaths("/room_keys/keys/:roomId"),
  auth: "user",
  body: roomKeyBackup,
  handle: (request) =>
    request.deps.keyBackup.putKeys(request.requester!.userId, versionParam(request), { [request.params["roomId"] as string]: request.body }),
});
