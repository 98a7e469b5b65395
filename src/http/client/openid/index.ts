/** OpenID tokens for third-party services. */
import type { Route } from "../../route.js";
import { requestOpenIdToken } from "./requestOpenIdToken.js";

export const openIdRoutes = [requestOpenIdToken] as Route<unknown>[];
