/** PUT /room_keys/keys/{roomId}/{sessionId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { keyBackupData, versionParam } from "./key-backup-schemas.js";

export const putRoomKeyBySessionId = defineRoute({
  operationId: "putRoomKeyBySessionId",
  method: "PUT",
  paths: clientPaths("/room_keys/keys/:roomId/:sessionId"),
  auth: "user",
  body: keyBackupData,
  handle(request) {
    const { roomId, sessionId } = request.params as { roomId: string; sessionId: string };
    return request.deps.keyBackup.putKeys(request.requester!.userId, versionParam(request), { [roomId]: { sessions: { [sessionId]: request.body } } });
  },
});
