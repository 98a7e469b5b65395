/** POST /keys/signatures/upload — client-server API "Cross-signing". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const uploadCrossSigningSignatures = defineRoute({
  operationId: "uploadCrossSigningSignatures",
  method: "POST",
  paths: clientPaths("/keys/signatures/upload", { r0: false }),
  auth: "user",
  body: z.record(z.string(), z.unknown()),
  handle: ({ deps, requester, body }) => deps.crossSigning.uploadSignatures(requester!, body),
});
