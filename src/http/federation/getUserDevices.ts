/** GET /_matrix/federation/v1/user/devices/{userId} — server-server API "Device Management". */
import { MatrixError } from "../../errors.js";
import { defineRoute } from "../route.js";

export const getUserDevices = defineRoute({
  operationId: "getUserDevices",
  method: "GET",
  paths: ["/_matrix/federation/v1/user/devices/:userId"],
  auth: "server",
  handle: ({ deps, params }) => {
    const userId = params["userId"] as string;
    if (!userId.endsWith(`:${deps.config.server_name}`)) throw new MatrixError(400, "M_INVALID_PARAM", "The user is not local to this server");
    return deps.keyQuery.userDevices(userId);
  },
});
