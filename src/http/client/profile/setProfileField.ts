/** PUT /profile/{userId}/{keyName} — client-server API "Profiles". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const setProfileField = defineRoute({
  operationId: "setProfileField",
  method: "PUT",
  paths: clientPaths("/profile/:userId/:keyName"),
  auth: "user",
  // Guests may set their display name (the service refuses other keys).
  allowGuests: true,
  body: z.record(z.string(), z.unknown()),
  // Custom fields may hold any JSON value.
  fractions: true,
  async handle({ deps, params, body, requester }) {
    await deps.profiles.setField(requester!, params["userId"] as string, params["keyName"] as string, body);
    return {};
  },
});
