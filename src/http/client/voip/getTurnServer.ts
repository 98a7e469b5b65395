/** GET /_matrix/client/v3/voip/turnServer — client-server API "Voice over IP", server behaviour. */
import { clientPaths, defineRoute } from "../../route.js";

export const getTurnServer = defineRoute({
  operationId: "getTurnServer",
  method: "GET",
  paths: clientPaths("/voip/turnServer"),
  auth: "user",
  // Whether guests get credentials is the `turn.allow_guests` setting, checked by the service.
  allowGuests: true,
  handle: ({ deps, requester }) => deps.turn.credentials(requester!.userId, requester!.isGuest),
});
