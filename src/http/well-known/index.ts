/** GET /.well-known/matrix/client — client-server API "Server discovery: Well-known URIs". */
import { defineRoute, type Route } from "../route.js";
import { getWellknownSupport } from "./getWellknownSupport.js";

export const getWellknown = defineRoute({
  operationId: "getWellknown",
  method: "GET",
  paths: ["/.well-known/matrix/client"],
  auth: "none",
  handle: ({ deps }) => {
    const listener = deps.config.listeners.find((l) => l.resources.includes("client"));
    const base = deps.config.public_baseurl ?? `${listener?.tls ? "https" : "http"}://${deps.config.server_name}/`;
    return { "m.homeserver": { base_url: base }, ...(deps.config.well_known.client ?? {}) };
  },
});

export const wellKnownRoutes: Route<unknown>[] = [getWellknown, getWellknownSupport];
