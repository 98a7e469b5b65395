/** POST /keys/claim — client-server API "Key management API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const claimKeys = defineRoute({
  operationId: "claimKeys",
  method: "POST",
  paths: clientPaths("/keys/claim"),
  auth: "user",
  body: z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().int().optional() }),
  handle: ({ deps, body }) => deps.deviceKeys.claim(body.one_time_keys, { timeoutMs: body.timeout }),
});
