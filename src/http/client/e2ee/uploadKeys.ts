/** POST /keys/upload — client-server API "Key management API". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const uploadKeys = defineRoute({
  operationId: "uploadKeys",
  method: "POST",
  paths: clientPaths("/keys/upload"),
  auth: "user",
  // The key objects are checked by the service (shape, owner, signatures) for the spec's error codes.
  body: z.object({ device_keys: z.unknown().optional(), one_time_keys: z.unknown().optional(), fallback_keys: z.unknown().optional() }),
  handle: ({ deps, requester, body }) => deps.deviceKeys.upload(requester!, body),
});
