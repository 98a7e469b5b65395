/** POST /_matrix/client/v3/search — client-server API "Server Side Search". */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

const count = z.number().int().min(0);

const roomEvents = z
  .object({
    search_term: z.string(),
    keys: z.array(z.enum(["content.body", "content.name", "content.topic"])).optional(),
    filter: z.record(z.string(), z.unknown()).optional(),
    order_by: z.enum(["recent", "rank"]).optional(),
    event_context: z.object({ before_limit: count.optional(), after_limit: count.optional(), include_profile: z.boolean().optional() }).passthrough().optional(),
    include_state: z.boolean().optional(),
    groupings: z.object({ group_by: z.array(z.object({ key: z.enum(["room_id", "sender"]) }).passthrough()).optional() }).passthrough().optional(),
  })
  .passthrough();

export const search = defineRoute({
  operationId: "search",
  method: "POST",
  paths: clientPaths("/search"),
  auth: "user",
  body: z.object({ search_categories: z.object({ room_events: roomEvents.optional() }).passthrough() }).passthrough(),
  async handle({ deps, body, query, requester }) {
    const nextBatch = query["next_batch"];
    if (nextBatch !== undefined && typeof nextBatch !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "next_batch must be given once");
    const criteria = body.search_categories.room_events;
    // room_events is the only category; a request without it searches nothing.
    if (!criteria) return { search_categories: {} };
    return { search_categories: { room_events: await deps.search.searchRoomEvents(requester!, criteria, nextBatch) } };
  },
});
