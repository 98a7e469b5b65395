/** Admin API routes. */
import type { Route } from "../route.js";
import { getRegistrationNonce, registerWithSharedSecret } from "./registerWithSharedSecret.js";

export const adminRoutes: Route<unknown>[] = [getRegistrationNonce, registerWithSharedSecret] as Route<unknown>[];
