/** GET /_matrix/client/v3/admin/whois/{userId} — client-server API "Server Administration". */
import { clientPaths, defineRoute } from "../../route.js";

export const getWhoIs = defineRoute({
  operationId: "getWhoIs",
  method: "GET",
  paths: clientPaths("/admin/whois/:userId"),
  auth: "user",
  handle: ({ deps, params, requester }) => deps.whois.whois(requester!, params["userId"] as string),
});
