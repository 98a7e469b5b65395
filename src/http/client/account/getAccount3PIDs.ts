/** GET /_matrix/client/v3/account/3pid — client-server API "Adding Account Administrative Contact Information". */
import { clientPaths, defineRoute } from "../../route.js";

export const getAccount3PIDs = defineRoute({
  operationId: "getAccount3PIDs",
  method: "GET",
  paths: clientPaths("/account/3pid"),
  auth: "user",
  async handle({ deps, requester }) {
    return { threepids: await deps.accounts.listThreepids(requester!.userId) };
  },
});
