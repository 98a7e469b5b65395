/**
 * GET|POST /_synapse/admin/v1/register — shared-secret registration with a nonce and HMAC-SHA1, at the
 * path and with the scheme that existing tools (register_new_matrix_user, test harnesses) call.
 */
import { z } from "zod";
import { defineRoute } from "../route.js";

const PATH = "/_synapse/admin/v1/register";

export const getRegistrationNonce = defineRoute({
  operationId: "getRegistrationNonce",
  method: "GET",
  paths: [PATH],
  auth: "none",
  handle: ({ deps }) => ({ nonce: deps.registration.newAdminNonce() }),
});

export const registerWithSharedSecret = defineRoute({
  operationId: "registerWithSharedSecret",
  method: "POST",
  paths: [PATH],
  auth: "none",
  body: z.object({
    nonce: z.string(),
    username: z.string(),
    password: z.string(),
    admin: z.boolean().optional(),
    mac: z.string(),
    user_type: z.string().nullable().optional(),
    displayname: z.string().optional(),
  }),
  handle: ({ deps, body }) => deps.registration.registerWithSharedSecret({ ...body, admin: body.admin ?? false }),
});
