/** Server-server API routes and the key server. */
import type { Route } from "../route.js";
import { getServerKey } from "./getServerKey.js";
import { getVersion } from "./getVersion.js";
import { getQueryKeys, queryKeys } from "./queryKeys.js";
import { queryProfile } from "./queryProfile.js";

export const federationRoutes: Route<unknown>[] = [getServerKey, queryKeys, getQueryKeys, getVersion, queryProfile] as Route<unknown>[];
