/** Which routes each listener resource serves. */
import type { Route } from "./route.js";
import { clientRoutes } from "./client/index.js";
import { wellKnownRoutes } from "./well-known/index.js";
import { adminRoutes } from "./admin/index.js";
import { federationRoutes } from "./federation/index.js";

export function routesForResources(resources: readonly string[]): Route<unknown>[] {
  const routes: Route<unknown>[] = [];
  if (resources.includes("client")) routes.push(...clientRoutes, ...wellKnownRoutes, ...adminRoutes);
  if (resources.includes("federation")) routes.push(...federationRoutes);
  return routes;
}
