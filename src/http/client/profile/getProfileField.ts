/** GET /profile/{userId}/{keyName} — client-server API "Profiles". */
import { clientPaths, defineRoute } from "../../route.js";

export const getProfileField = defineRoute({
  operationId: "getProfileField",
  method: "GET",
  paths: clientPaths("/profile/:userId/:keyName"),
  auth: "none",
  handle: ({ deps, params }) => deps.profiles.getField(params["userId"] as string, params["keyName"] as string),
});
