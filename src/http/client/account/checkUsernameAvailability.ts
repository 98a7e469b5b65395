/** GET /_matrix/client/v3/register/available — client-server API "Account registration". */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";

export const checkUsernameAvailability = defineRoute({
  operationId: "checkUsernameAvailability",
  method: "GET",
  paths: clientPaths("/register/available"),
  auth: "none",
  rateLimit: "registration",
  async handle({ deps, query }) {
    const username = query["username"];
    if (typeof username !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing username");
    await deps.registration.checkAvailable(username);
    return { available: true };
  },
});
