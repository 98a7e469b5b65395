/** GET /_matrix/federation/v1/version — server-server API "Server implementation". */
import { defineRoute } from "../route.js";

export const getVersion = defineRoute({
  operationId: "getVersion",
  method: "GET",
  paths: ["/_matrix/federation/v1/version"],
  auth: "none",
  handle: ({ deps }) => ({ server: deps.notary.implementation() }),
});
