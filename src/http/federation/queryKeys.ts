/**
 * POST /_matrix/key/v2/query and GET /_matrix/key/v2/query/{serverName} — server-server API
 * "Querying Keys Through Another Server": this server acting as a notary.
 */
import { z } from "zod";
import { integerParam } from "../query-params.js";
import { defineRoute } from "../route.js";

const criteria = z.object({ minimum_valid_until_ts: z.number().int().optional() });

export const queryKeys = defineRoute({
  operationId: "queryKeys",
  method: "POST",
  paths: ["/_matrix/key/v2/query"],
  auth: "none",
  body: z.object({ server_keys: z.record(z.string(), z.record(z.string(), criteria)) }),
  handle: ({ deps, body }) => deps.notary.query(body.server_keys),
});

export const getQueryKeys = defineRoute({
  operationId: "getQueryKeys",
  method: "GET",
  paths: ["/_matrix/key/v2/query/:serverName"],
  auth: "none",
  handle: (request) => {
    const minimum = integerParam(request, "minimum_valid_until_ts", 0);
    return request.deps.notary.query({ [request.params["serverName"] as string]: minimum === undefined ? {} : { "": { minimum_valid_until_ts: minimum } } });
  },
});
