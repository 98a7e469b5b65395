/** POST /user_directory/search — client-server API "User Directory". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const searchUserDirectory = defineRoute({
  operationId: "searchUserDirectory",
  method: "POST",
  paths: clientPaths("/user_directory/search"),
  auth: "user",
  body: z.object({ search_term: z.string(), limit: z.number().int().optional() }).passthrough(),
  handle: ({ deps, body, requester }) => deps.userDirectory.search(requester!, body.search_term, body.limit),
});
