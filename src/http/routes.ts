/** Which routes each listener resource serves. */
import type { Route } from "./route.js";
import { clientRoutes } from "./client/index.js";
import { wellKnownRoutes } from "./well-known/index.js";
import { adminRoutes } from "./admin/index.js";
import { mediaRoutes } from "./client/media/index.js";
import { federationRoutes } from "./federation/index.js";

export function routesForResources(resources: readonly string[]): Route<unknown>[] {
  const routes: Route<unknown>[] = [];
  if (resources.includes("client")) routes.push(...clientRoutes, ...wellKnownRoutes, ...adminRoutes);
  // The content repository, as Synapse serves it: on client listeners, and alone on `media` ones.
  if (resources.includes("client") || resources.includes("media")) routes.push(...mediaRoutes);
  if (resources.includes("federation")) routes.push(...federationRoutes);
  return routes;
}
