/** POST /_matrix/client/v3/publicRooms — client-server API "Published room directory". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";
import { singleParam } from "../../query-params.js";

export const queryPublicRooms = defineRoute({
  operationId: "queryPublicRooms",
  method: "POST",
  paths: clientPaths("/publicRooms"),
  auth: "user",
  allowGuests: true,
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
    const server = singleParam(request, "server");
    return request.deps.roomDirectory.publicRooms({
      ...(body.limit !== undefined && body.limit > 0 ? { limit: body.limit } : {}),
      ...(body.since !== undefined ? { since: body.since } : {}),
      ...(server !== undefined ? { server } : {}),
      ...(body.filter?.generic_search_term !== undefined ? { searchTerm: body.filter.generic_search_term } : {}),
      ...(body.filter?.room_types !== undefined ? { roomTypes: body.filter.room_types } : {}),
      ...(body.third_party_instance_id !== undefined ? { thirdPartyInstanceId: body.third_party_instance_id } : {}),
      ...(body.include_all_networks !== undefined ? { includeAllNetworks: body.include_all_networks } : {}),
    });
  },
});
