/** GET /rooms/{roomId}/messages and /context/{eventId} — client-server API "Getting events for a room". */
import { MatrixError } from "../../../errors.js";
import { clientPaths, defineRoute } from "../../route.js";
import type { RouteRequest } from "../../route.js";
import { integerParam } from "../../query-params.js";

async function roomFilter(request: RouteRequest<unknown>): Promise<Record<string, unknown> | undefined> {
  const raw = request.query["filter"];
  if (typeof raw !== "string") return undefined;
  const parsed = await request.deps.filters.resolve(request.requester!.userId, raw.trimStart().startsWith("{") ? JSON.stringify({ room: { timeline: JSON.parse(raw) as unknown } }) : raw);
  return parsed.room?.timeline as Record<string, unknown> | undefined;
}

export const getRoomEvents = defineRoute({
  operationId: "getRoomEvents",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/messages"),
  auth: "user",
  allowGuests: true,
  async handle(request) {
    const { deps, params, query, requester } = request;
    const dir = query["dir"] ?? "b";
    if (dir !== "b" && dir !== "f") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be b or f");
    let filter: Record<string, unknown> | undefined;
    try {
      filter = await roomFilter(request);
    } catch (error) {
      if (error instanceof SyntaxError) throw new MatrixError(400, "M_NOT_JSON", "filter is not valid JSON");
      throw error;
    }
    return deps.roomReads.messages(params["roomId"] as string, requester!, {
      ...(typeof query["from"] === "string" ? { from: query["from"] } : {}),
      ...(typeof query["to"] === "string" ? { to: query["to"] } : {}),
      dir,
      limit: integerParam(request, "limit", 0) ?? 10,
      ...(filter ? { filter } : {}),
    });
  },
});

export const getEventContext = defineRoute({
  operationId: "getEventContext",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/context/:eventId"),
  auth: "user",
  allowGuests: true,
  async handle(request) {
    const { deps, params, requester } = request;
    const filter = await roomFilter(request).catch((error: unknown) => {
      if (error instanceof SyntaxError) throw new MatrixError(400, "M_NOT_JSON", "filter is not valid JSON");
      throw error;
    });
    return deps.roomReads.context(params["roomId"] as string, params["eventId"] as string, requester!, integerParam(request, "limit", 0) ?? 10, filter);
  },
});
