/** GET /profile/{userId} — client-server API "Profiles". */
import { clientPaths, defineRoute } from "../../route.js";

export const getUserProfile = defineRoute({
  operationId: "getUserProfile",
  method: "GET",
  paths: clientPaths("/profile/:userId"),
  // The spec lists no security for profile look-ups; Synapse answers them without a token by default.
  auth: "none",
  handle: ({ deps, params }) => deps.profiles.getProfile(params["userId"] as string),
});
