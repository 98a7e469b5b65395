/**
 * GET /_matrix/client/v3/events — client-server API old_sync `getEvents` (deprecated), and with
 * `room_id` the peeking `peekEvents` of "Room Previews" (the same path, one route).
 */
import { clientPaths, defineRoute } from "../../route.js";
import { integerParam, singleParam } from "../../query-params.js";

/** Synapse's default long-poll when the client gives no timeout. */
const DEFAULT_TIMEOUT_MS = 30_000;

export const getEvents = defineRoute({
  operationId: "getEvents",
  method: "GET",
  paths: clientPaths("/events"),
  auth: "user",
  allowGuests: true,
  handle: (request) => {
    const { deps, requester, gone } = request;
    const timeoutMs = Math.min(integerParam(request, "timeout", 0) ?? DEFAULT_TIMEOUT_MS, deps.config.limits.max_sync_timeout_ms);
    return deps.eventStream.stream(requester!, { from: singleParam(request, "from"), timeoutMs, roomId: singleParam(request, "room_id") }, gone);
  },
});
