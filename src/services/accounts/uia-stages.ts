/** The UIA stages Tessera offers and how each one is checked. */
import { MatrixError } from "../../errors.js";
import type { UiaStore } from "../../storage/uia-store.js";
import type { Clock } from "../clock.js";
import type { LoginService } from "./login-service.js";
import type { StageChecker, UiaStageType } from "./uia-service.js";

export function buildUiaCheckers(deps: { login: LoginService; uiaStore: UiaStore; clock: Clock }): Partial<Record<UiaStageType, StageChecker>> {
  return {
    "m.login.dummy": async () => true,
    "m.login.terms": async () => true,
    "m.login.password": async (auth, session) => {
      const userId = await deps.login.checkPassword(auth as Parameters<LoginService["checkPassword"]>[0]);
      // Re-authentication must be by the logged-in user themself.
      if (session.userId !== null && session.userId !== userId) {
        throw new MatrixError(403, "M_FORBIDDEN", "Invalid username or password");
      }
      return userId;
    },
    "m.login.registration_token": async (auth, session) => {
      const previous = session.results["m.login.registration_token"];
      if (typeof previous === "string") return previous; // already reserved in this session
      const token = auth["token"];
      if (typeof token !== "string" || token.length === 0 || token.length > 64) {
        throw new MatrixError(401, "M_FORBIDDEN", "Invalid registration token");
      }
      if (!(await deps.uiaStore.reserveRegistrationToken(token, deps.clock.now()))) {
        throw new MatrixError(401, "M_FORBIDDEN", "Invalid registration token");
      }
      return token;
    },
  };
}
