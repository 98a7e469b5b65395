/** POST /_matrix/federation/v1/publicRooms — server-server API "Published Room Directory". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const queryFederationPublicRooms = defineRoute({
  operationId: "queryPublicRooms",
  method: "POST",
  paths: ["/_matrix/federation/v1/publicRooms"],
  auth: "server",
  body: z
    .object({
      limit: z.number().int().nonnegative().optional(),
      since: z.string().optional(),
      filter: z
        .object({
          generic_search_term: z.string().optional(),
          room_types: z.array(z.string().nullable()).optional(),
        })
        .passthrough()
        .optional(),
      include_all_networks: z.boolean().optional(),
      third_party_instance_id: z.string().optional(),
    })
    .passthrough(),
  handle(request) {
    const { body } = request;
    // Only this server's own directory: the spec says not to list rooms of other servers' directories.
    return request.deps.roomDirectory.publicRooms({
      ...(body.limit !== undefined && body.limit > 0 ? { limit: body.limit } : {}),
      ...(body.since !== undefined ? { since: body.since } : {}),
      ...(body.filter?.generic_search_term !== undefined ? { searchTerm: body.filter.generic_search_term } : {}),
      ...(body.filter?.room_types !== undefined ? { roomTypes: body.filter.room_types } : {}),
      ...(body.third_party_instance_id !== undefined ? { thirdPartyInstanceId: body.third_party_instance_id } : {}),
      ...(body.include_all_networks !== undefined ? { includeAllNetworks: body.include_all_networks } : {}),
    });
  },
});
