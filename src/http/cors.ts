/** CORS for web clients (client-server API "Web Browser Clients"): every response, and OPTIONS preflights. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization, Date",
  "access-control-expose-headers": "Synapse-Trace-Id, Server, Content-Disposition",
};
