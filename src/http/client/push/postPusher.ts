/** POST /_matrix/client/v3/pushers/set — client-server API "Push notifications" (pusher.yaml). */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const postPusher = defineRoute({
  operationId: "postPusher",
  method: "POST",
  paths: clientPaths("/pushers/set"),
  auth: "user",
  // The fields depend on `kind` (null deletes): the service checks them.
  body: z.looseObject({}),
  async handle(request) {
    await request.deps.pushers.set(request.requester!, request.body);
    return {};
  },
});
