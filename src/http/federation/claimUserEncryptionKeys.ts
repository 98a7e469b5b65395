/** POST /_matrix/federation/v1/user/keys/claim — server-server API "End-to-End Encryption". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const claimUserEncryptionKeys = defineRoute({
  operationId: "claimUserEncryptionKeys",
  method: "POST",
  paths: ["/_matrix/federation/v1/user/keys/claim"],
  auth: "server",
  body: z.object({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())) }),
  async handle({ deps, body }) {
    const answer = await deps.deviceKeys.claim(body.one_time_keys, { localOnly: true });
    return { one_time_keys: answer.one_time_keys };
  },
});
