/** GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId} — client-server API "Event relationships". */
import { clientPaths, defineRoute } from "../../route.js";
import { getRelations } from "./relation-params.js";

export const getRelatingEvents = defineRoute({
  operationId: "getRelatingEvents",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/relations/:eventId", { versions: ["v1"], r0: false }),
  auth: "user",
  allowGuests: true,
  handle: getRelations,
});
