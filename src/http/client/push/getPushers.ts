/** GET /_matrix/client/v3/pushers — client-server API "Push notifications" (pusher.yaml). */
import { clientPaths, defineRoute } from "../../route.js";

export const getPushers = defineRoute({
  operationId: "getPushers",
  method: "GET",
  paths: clientPaths("/pushers"),
  auth: "user",
  async handle(request) {
    return { pushers: await request.deps.pushers.list(request.requester!.userId) };
  },
});
