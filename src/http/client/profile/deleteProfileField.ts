/** DELETE /profile/{userId}/{keyName} — client-server API "Profiles". */
import { clientPaths, defineRoute } from "../../route.js";

export const deleteProfileField = defineRoute({
  operationId: "deleteProfileField",
  method: "DELETE",
  paths: clientPaths("/profile/:userId/:keyName"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, params, requester }) {
    await deps.profiles.deleteField(requester!, params["userId"] as string, params["keyName"] as string);
    return {};
  },
});
