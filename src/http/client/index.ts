/** Every client-server API route. Each area lists its routes in its own folder's index. */
import type { Route } from "../route.js";
import { getVersions } from "./getVersions.js";
import { getCapabilities } from "./getCapabilities.js";
import { accountRoutes } from "./account/index.js";
import { roomRoutes } from "./rooms/index.js";
import { syncRoutes } from "./sync/index.js";

export const clientRoutes: Route<unknown>[] = [getVersions, getCapabilities, ...accountRoutes, ...roomRoutes, ...syncRoutes] as Route<unknown>[];
