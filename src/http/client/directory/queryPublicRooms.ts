/** POST /_matrix/client/v3/publicRooms — client-server API "Published room directory". */
import { publicRoomsBody, publicRoomsQuery } from "../../public-rooms-body.js";
import { clientPaths, defineRoute } from "../../route.js";
import { singleParam } from "../../query-params.js";

export const queryPublicRooms = defineRoute({
  operationId: "queryPublicRooms",
  method: "POST",
  paths: clientPaths("/publicRooms"),
  auth: "user",
  allowGuests: true,
  body: publicRoomsBody,
  handle(request) {
    const server = singleParam(request, "server");
    return request.deps.roomDirectory.publicRooms({ ...publicRoomsQuery(request.body), ...(server !== undefined ? { server } : {}) });
  },
});
