/** PUT /room_keys/keys — client-server API "Server-side key backups". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";
import { roomKeyBackup, versionParam } from "./key-backup-schemas.js";

export const putRoomKeys = defineRoute({
  operationId: "putRoomKeys",
  method: "PUT",
  paths: clientPaths("/room_keys/keys"),
  auth: "user",
  body: z.looseObject({ rooms: z.record(z.string(), roomKeyBackup) }),
  handle: (request) => request.deps.keyBackup.putKeys(request.requester!.userId, versionParam(request), request.body.rooms),
});
