/** GET /_matrix/client/v3/login — client-server API "Login". */
import { clientPaths, defineRoute } from "../../route.js";

export const getLoginFlows = defineRoute({
  operationId: "getLoginFlows",
  method: "GET",
  paths: clientPaths("/login"),
  auth: "none",
  handle: ({ deps }) => ({ flows: deps.login.flows() }),
});
