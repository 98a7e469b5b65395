/**
 * Sending and reading room events — client-server API "Room events": PUT /send/{eventType}/{txnId},
 * PUT /redact/{eventId}/{txnId}, GET|PUT /state..., GET /event/{eventId}, GET /members,
 * GET /joined_members.
 */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import type { JsonObject } from "../../../protocol/json.js";
import { clientPaths, defineRoute } from "../../route.js";

const content = z.record(z.string(), z.unknown());

function checkTypeAndKey(type: string, stateKey?: string): void {
  if (Buffer.byteLength(type) > 255) throw new MatrixError(400, "M_INVALID_PARAM", "Event type is too long");
  if (stateKey !== undefined && Buffer.byteLength(stateKey) > 255) throw new MatrixError(400, "M_INVALID_PARAM", "State key is too long");
}

export const sendMessage = defineRoute({
  operationId: "sendMessage",
  method: "PUT",
  paths: clientPaths("/rooms/:roomId/send/:eventType/:txnId"),
  auth: "user",
  allowGuests: true,
  rateLimit: "message",
  body: content,
  handle: ({ deps, params, body, requester }) => {
    checkTypeAndKey(params["eventType"] as string);
    return deps.roomWrites.sendMessage(params["roomId"] as string, requester!, params["eventType"] as string, body as JsonObject, params["txnId"]);
  },
});

export const redactEvent = defineRoute({
  operationId: "redactEvent",
  method: "PUT",
  paths: clientPaths("/rooms/:roomId/redact/:eventId/:txnId"),
  auth: "user",
  rateLimit: "message",
  body: z.object({ reason: z.string().optional() }).passthrough(),
  handle: ({ deps, params, body, requester }) =>
    deps.roomWrites.redact(params["roomId"] as string, requester!, params["eventId"] as string, body as JsonObject, params["txnId"]),
});

export const setRoomStateWithKey = defineRoute({
  operationId: "setRoomStateWithKey",
  method: "PUT",
  paths: [...clientPaths("/rooms/:roomId/state/:eventType/:stateKey"), ...clientPaths("/rooms/:roomId/state/:eventType")],
  auth: "user",
  rateLimit: "message",
  body: content,
  handle: ({ deps, params, body, requester }) => {
    const stateKey = params["stateKey"] ?? "";
    checkTypeAndKey(params["eventType"] as string, stateKey);
    return deps.roomWrites.sendState(params["roomId"] as string, requester!, params["eventType"] as string, stateKey, body as JsonObject);
  },
});

export const getRoomStateWithKey = defineRoute({
  operationId: "getRoomStateWithKey",
  method: "GET",
  paths: [...clientPaths("/rooms/:roomId/state/:eventType/:stateKey"), ...clientPaths("/rooms/:roomId/state/:eventType")],
  auth: "user",
  allowGuests: true,
  async handle({ deps, params, query, requester }) {
    const event = await deps.roomReads.getStateEvent(params["roomId"] as string, requester!, params["eventType"] as string, params["stateKey"] ?? "");
    return query["format"] === "event" ? event : event.content;
  },
});

export const getRoomState = defineRoute({
  operationId: "getRoomState",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/state"),
  auth: "user",
  allowGuests: true,
  handle: ({ deps, params, requester }) => deps.roomReads.getState(params["roomId"] as string, requester!),
});

export const getOneRoomEvent = defineRoute({
  operationId: "getOneRoomEvent",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/event/:eventId"),
  auth: "user",
  allowGuests: true,
  handle: ({ deps, params, requester }) => deps.roomReads.getEvent(params["roomId"] as string, params["eventId"] as string, requester!),
});

export const getMembersByRoom = defineRoute({
  operationId: "getMembersByRoom",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/members"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, params, query, requester }) {
    const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    const chunk = await deps.roomReads.members(params["roomId"] as string, requester!, {
      ...(str(query["at"]) !== undefined ? { at: str(query["at"]) } : {}),
      ...(str(query["membership"]) !== undefined ? { membership: str(query["membership"]) } : {}),
      ...(str(query["not_membership"]) !== undefined ? { notMembership: str(query["not_membership"]) } : {}),
    });
    return { chunk };
  },
});

export const getJoinedMembersByRoom = defineRoute({
  operationId: "getJoinedMembersByRoom",
  method: "GET",
  paths: clientPaths("/rooms/:roomId/joined_members"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, params, requester }) {
    return { joined: await deps.roomReads.joinedMembers(params["roomId"] as string, requester!) };
  },
});
