/** POST /keys/query — client-server API "Key management API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const queryKeys = defineRoute({
  operationId: "queryKeys",
  method: "POST",
  paths: clientPaths("/keys/query"),
  auth: "user",
  body: z.object({ device_keys: z.record(z.string(), z.array(z.string())), timeout: z.number().int().optional() }),
  handle: ({ deps, requester, body }) => deps.keyQuery.query(requester!.userId, body.device_keys, { timeoutMs: body.timeout }),
});
