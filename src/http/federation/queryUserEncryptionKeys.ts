/** POST /_matrix/federation/v1/user/keys/query — server-server API "End-to-End Encryption". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const queryUserEncryptionKeys = defineRoute({
  operationId: "queryUserEncryptionKeys",
  method: "POST",
  paths: ["/_matrix/federation/v1/user/keys/query"],
  auth: "server",
  body: z.object({ device_keys: z.record(z.string(), z.array(z.string())) }),
  async handle({ deps, body }) {
    const answer = await deps.keyQuery.query(undefined, body.device_keys, { localOnly: true });
    // Another server gets device, master and self-signing keys; user-signing keys stay with their owner.
    return { device_keys: answer.device_keys, master_keys: answer.master_keys, self_signing_keys: answer.self_signing_keys };
  },
});
