/** POST /_matrix/client/v3/register — client-server API "Account registration and management". */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

const body = z.object({
  auth: z.record(z.string(), z.unknown()).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
});

export const register = defineRoute({
  operationId: "register",
  method: "POST",
  paths: clientPaths("/register"),
  auth: "optional",
  body,
  rateLimit: "registration",
  async handle({ deps, body, query }) {
    const kind = query["kind"] ?? "user";
    if (kind === "guest") {
      if (!deps.registration.guestsAllowed) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
      return deps.registration.register({ guest: true, initialDeviceDisplayName: body.initial_device_display_name });
    }
    if (kind !== "user") throw new MatrixError(400, "M_INVALID_PARAM", "Invalid kind");
    const flows = deps.registration.flows();
    if (!flows) throw new MatrixError(403, "M_FORBIDDEN", "Registration has been disabled");
    // Tell the client early that the name is unusable, before it goes through the UIA stages.
    if (body.username !== undefined && body.auth === undefined) await deps.registration.checkAvailable(body.username.toLowerCase());
    deps.registration.validatePassword(body.password);
    const { auth, ...rest } = body;
    const outcome = await deps.uia.authenticate(
      { method: "POST", path: "/register", auth, clientDict: rest, userId: null },
      flows,
    );
    // Parameters of the first request of the session count when later requests omit them.
    const params = { ...(outcome.clientDict as typeof rest), ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    const token = outcome.results["m.login.registration_token"];
    const result = await deps.registration.register({
      localpart: params.username?.toLowerCase(),
      password: params.password,
      deviceId: params.device_id,
      initialDeviceDisplayName: params.initial_device_display_name,
      inhibitLogin: params.inhibit_login,
      refreshToken: params.refresh_token,
      registrationToken: typeof token === "string" ? token : undefined,
    });
    await deps.uia.finish(outcome.sessionId);
    return result;
  },
});
