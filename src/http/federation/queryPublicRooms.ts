/** POST /_matrix/federation/v1/publicRooms — server-server API "Published Room Directory". */
import { publicRoomsBody, publicRoomsQuery } from "../public-rooms-body.js";
import { defineRoute } from "../route.js";

export const queryFederationPublicRooms = defineRoute({
  operationId: "queryPublicRooms",
  method: "POST",
  paths: ["/_matrix/federation/v1/publicRooms"],
  auth: "server",
  body: publicRoomsBody,
  handle(request) {
    // Only this server's own directory: the spec says not to list rooms of other servers' directories.
    return request.deps.roomDirectory.publicRooms(publicRoomsQuery(request.body));
  },
});
