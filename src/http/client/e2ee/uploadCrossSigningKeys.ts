/**
 * POST /keys/device_signing/upload — client-server API "Cross-signing". User-interactive auth is
 * needed except for a user's first keys or an upload of exactly the keys stored (spec v1.11).
 */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const uploadCrossSigningKeys = defineRoute({
  operationId: "uploadCrossSigningKeys",
  method: "POST",
  paths: clientPaths("/keys/device_signing/upload", { r0: false }),
  auth: "user",
  body: z.object({
    master_key: z.unknown().optional(),
    self_signing_key: z.unknown().optional(),
    user_signing_key: z.unknown().optional(),
    auth: z.record(z.string(), z.unknown()).optional(),
  }),
  async handle({ deps, requester, body }) {
    const user = requester!;
    const { auth, ...keys } = body;
    let session: string | undefined;
    // Application services are exempt from user-interactive auth here (spec v1.17).
    if (user.appserviceId === undefined && (await deps.crossSigning.uploadNeedsAuth(user.userId, keys))) {
      const outcome = await deps.uia.authenticate(
        { method: "POST", path: "/keys/device_signing/upload", auth, clientDict: {}, userId: user.userId },
        [{ stages: ["m.login.password"] }],
      );
      session = outcome.sessionId;
    }
    await deps.crossSigning.uploadSigningKeys(user, keys);
    if (session !== undefined) await deps.uia.finish(session);
    return {};
  },
});
