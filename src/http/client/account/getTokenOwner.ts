/** GET /_matrix/client/v3/account/whoami — client-server API "Current account information". */
import { clientPaths, defineRoute } from "../../route.js";

export const getTokenOwner = defineRoute({
  operationId: "getTokenOwner",
  method: "GET",
  paths: clientPaths("/account/whoami"),
  auth: "user",
  allowGuests: true,
  handle: ({ deps, requester }) => deps.accounts.whoami(requester!),
});
