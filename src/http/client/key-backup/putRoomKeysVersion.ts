/** PUT /room_keys/version/{version} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";
import { backupVersion } from "./key-backup-schemas.js";

export const putRoomKeysVersion = defineRoute({
  operationId: "putRoomKeysVersion",
  method: "PUT",
  paths: clientPaths("/room_keys/version/:version"),
  auth: "user",
  body: backupVersion,
  async handle({ deps, params, body, requester }) {
    await deps.keyBackup.updateVersion(requester!.userId, params["version"] as string, body);
    return {};
  },
});
