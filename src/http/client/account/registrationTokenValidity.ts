/** GET /_matrix/client/v1/register/m.login.registration_token/validity — "Token-authenticated registration". */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

export const registrationTokenValidity = defineRoute({
  operationId: "registrationTokenValidity",
  method: "GET",
  paths: clientPaths("/register/m.login.registration_token/validity", { versions: ["v1"], r0: false }),
  auth: "none",
  rateLimit: "registration",
  async handle({ deps, query }) {
    const token = query["token"];
    if (typeof token !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing token");
    return { valid: await deps.registration.isRegistrationTokenValid(token) };
  },
});
