/** DELETE /room_keys/keys/{roomId}/{sessionId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const deleteRoomKeyBySessionId = defineRoute({
  operationId: "deleteRoomKeyBySessionId",
  method: "DELETE",
  paths: clientPaths("/room_keys/keys/:roomId/:sessionId"),
  auth: "user",
  handle(request) {
    const { roomId, sessionId } = request.params as { roomId: string; sessionId: string };
    return request.deps.keyBackup.deleteKeys(request.requester!.userId, versionParam(request), { roomId, sessionId });
  },
});
