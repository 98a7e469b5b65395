/** POST /_matrix/client/v3/rooms/{roomId}/read_markers — client-server API "Read and unread markers". */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

const eventId = z.string().optional();

export const setReadMarker = defineRoute({
  operationId: "setReadMarker",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/read_markers"),
  auth: "user",
  body: z.object({ "m.fully_read": eventId, "m.read": eventId, "m.read.private": eventId }).passthrough(),
  async handle({ deps, params, body, requester }) {
    const markers = { fullyRead: body["m.fully_read"], read: body["m.read"], readPrivate: body["m.read.private"] };
    for (const id of Object.values(markers)) {
      if (id !== undefined && !id.startsWith("$")) throw new MatrixError(400, "M_INVALID_PARAM", `${id} is not an event ID`);
    }
    await deps.receipts.setReadMarkers(requester!, params["roomId"] as string, markers);
    return {};
  },
});
