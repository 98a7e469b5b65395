/** GET /_matrix/key/v2/server — server-server API "Publishing Keys". */
import { defineRoute } from "../route.js";

export const getServerKey = defineRoute({
  operationId: "getServerKey",
  method: "GET",
  // The `/{keyId}` form is deprecated; servers still ask it and get the whole document (as Synapse).
  paths: ["/_matrix/key/v2/server", "/_matrix/key/v2/server/:keyId"],
  auth: "none",
  handle: ({ deps }) => deps.serverKeys.keyDocument(),
});
