/** GET /room_keys/keys/{roomId}/{sessionId} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { versionParam } from "./key-backup-schemas.js";

export const getRoomKeyBySessionId = defineRoute({
  operationId: "getRoomKeyBySessionId",
  method: "GET",
  paths: clientPaths("/room_keys/keys/:roomId/:sessionId"),
  auth: "user",
  handle(request) {
    const { roomId, sessionId } = request.params as { roomId: string; sessionId: string };
    return request.deps.keyBackup.sessionKey(request.requester!.userId, versionParam(request), roomId, sessionId);
  },
});
