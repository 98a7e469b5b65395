/** POST /_matrix/federation/v1/publicRooms — server-server API "Published Room Directory". */
import { z } from "zod";
import { publicRoomsBody, publicRoomsQuery } from "../public-rooms-body.js";
import { defineRoute } from "../route.js";

/**
 * Synapse (up to at least 1.67, `TransportLayerClient.get_public_rooms`) sends `include_all_networks`
 * as the string "true"/"false" in this body, as it does in the query string of the GET; the spec says
 * boolean. Both are accepted so a Synapse user's filtered directory search reaches us.
 */
const federationPublicRoomsBody = publicRoomsBody.extend({
  include_all_networks: z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]).optional(),
});

export const queryFederationPublicRooms = defineRoute({
  operationId: "queryPublicRooms",
  method: "POST",
  paths: ["/_matrix/federation/v1/publicRooms"],
  auth: "server",
  body: federationPublicRoomsBody,
  handle(request) {
    // Only this server's own directory: the spec says not to list rooms of other servers' directories.
    return request.deps.roomDirectory.publicRooms(publicRoomsQuery(request.body));
  },
});
