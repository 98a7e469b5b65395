/**
 * The body of `POST /publicRooms`, the same for clients (client-server API "Published room
 * directory") and other servers (server-server API "Published Room Directory"), and the directory
 * query it asks for.
 */
import { z } from "zod";

export const publicRoomsBody = z
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
  .passthrough();

export type PublicRoomsBody = z.infer<typeof publicRoomsBody>;

/** The directory query of a body (a limit of 0 means no limit, as Synapse reads it). */
export function publicRoomsQuery(body: PublicRoomsBody) {
  return {
    ...(body.limit !== undefined && body.limit > 0 ? { limit: body.limit } : {}),
    ...(body.since !== undefined ? { since: body.since } : {}),
    ...(body.filter?.generic_search_term !== undefined ? { searchTerm: body.filter.generic_search_term } : {}),
    ...(body.filter?.room_types !== undefined ? { roomTypes: body.filter.room_types } : {}),
    ...(body.third_party_instance_id !== undefined ? { thirdPartyInstanceId: body.third_party_instance_id } : {}),
    ...(body.include_all_networks !== undefined ? { includeAllNetworks: body.include_all_networks } : {}),
  };
}
