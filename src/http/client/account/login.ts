/** POST /_matrix/client/v3/login — client-server API "Login". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

const body = z.object({
  type: z.string(),
  identifier: z.record(z.string(), z.unknown()).optional(),
  user: z.string().optional(),
  medium: z.string().optional(),
  address: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().optional(),
  refresh_token: z.boolean().optional(),
});

export const login = defineRoute({
  operationId: "login",
  method: "POST",
  paths: clientPaths("/login"),
  auth: "none",
  body,
  rateLimit: "login",
  handle: ({ deps, body }) => deps.login.login(body),
});
