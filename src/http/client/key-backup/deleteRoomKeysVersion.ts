/** DELETE /room_keys/version/{version} — client-server API "Server-side key backups". */
import { clientPaths, defineRoute } from "../../route.js";

export const deleteRoomKeysVersion = defineRoute({
  operationId: "deleteRoomKeysVersion",
  method: "DELETE",
  paths: clientPaths("/room_keys/version/:version"),
  auth: "user",
  async handle({ deps, params, requester }) {
    await deps.keyBackup.deleteVersion(requester!.userId, params["version"] as string);
    return {};
  },
});
