/** POST /user/{userId}/filter and GET /user/{userId}/filter/{filterId} — client-server API "Filtering". */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

function ownUser(userId: string | undefined, requesterId: string): void {
  if (userId !== requesterId) throw new MatrixError(403, "M_FORBIDDEN", "Cannot use filters for other users");
}

export const defineFilter = defineRoute({
  operationId: "defineFilter",
  method: "POST",
  paths: clientPaths("/user/:userId/filter"),
  auth: "user",
  allowGuests: true,
  body: z.record(z.string(), z.unknown()),
  async handle({ deps, params, body, requester }) {
    ownUser(params["userId"], requester!.userId);
    return { filter_id: await deps.filters.create(requester!.userId, body) };
  },
});

export const getFilter = defineRoute({
  operationId: "getFilter",
  method: "GET",
  paths: clientPaths("/user/:userId/filter/:filterId"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, params, requester }) {
    ownUser(params["userId"], requester!.userId);
    return deps.filters.get(requester!.userId, params["filterId"] as string);
  },
});
