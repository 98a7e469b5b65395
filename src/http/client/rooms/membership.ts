/**
 * Membership endpoints — client-server API "Room membership": POST /join/{roomIdOrAlias},
 * /rooms/{roomId}/join, /invite, /leave, /forget, /kick, /ban, /unban, /knock/{roomIdOrAlias},
 * GET /joined_rooms.
 */
import { z } from "zod";
import { refuseIfSuspended } from "../../../services/accounts/suspension.js";
import { clientPaths, defineRoute } from "../../route.js";

const reason = z.object({ reason: z.string().optional() }).passthrough();
const withTarget = z.object({ user_id: z.string(), reason: z.string().optional() });

export const joinRoom = defineRoute({
  operationId: "joinRoom",
  method: "POST",
  paths: [...clientPaths("/join/:roomIdOrAlias"), ...clientPaths("/rooms/:roomIdOrAlias/join")],
  auth: "user",
  rateLimit: "message",
  body: reason,
  handle: ({ deps, params, query, body, requester }) => {
    refuseIfSuspended(requester);
    // Servers to join through when the room is not on this server (`via` since v1.12, `server_name` before).
    const servers = [query["via"], query["server_name"]].flat().filter((s): s is string => typeof s === "string");
    return deps.membership.join(params["roomIdOrAlias"] as string, requester!.userId, { reason: body.reason, servers });
  },
});

export const knockRoom = defineRoute({
  operationId: "knockRoom",
  method: "POST",
  paths: clientPaths("/knock/:roomIdOrAlias"),
  auth: "user",
  rateLimit: "message",
  body: reason,
  handle: ({ deps, params, query, body, requester }) => {
    refuseIfSuspended(requester);
    // As for joins: the servers to knock through when this server is not in the room.
    const servers = [query["via"], query["server_name"]].flat().filter((s): s is string => typeof s === "string");
    return deps.membership.knock(params["roomIdOrAlias"] as string, requester!.userId, { reason: body.reason, servers });
  },
});

export const inviteUser = defineRoute({
  operationId: "inviteUser",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/invite"),
  auth: "user",
  rateLimit: "message",
  body: withTarget,
  async handle({ deps, params, body, requester }) {
    refuseIfSuspended(requester);
    await deps.membership.invite(params["roomId"] as string, requester!.userId, body.user_id, { reason: body.reason });
    return {};
  },
});

export const leaveRoom = defineRoute({
  operationId: "leaveRoom",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/leave"),
  auth: "user",
  allowGuests: true,
  rateLimit: "message",
  body: reason,
  async handle({ deps, params, body, requester }) {
    await deps.membership.leave(params["roomId"] as string, requester!.userId, { reason: body.reason });
    return {};
  },
});

export const forgetRoom = defineRoute({
  operationId: "forgetRoom",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/forget"),
  auth: "user",
  body: z.object({}).passthrough(),
  async handle({ deps, params, requester }) {
    await deps.membership.forget(params["roomId"] as string, requester!.userId);
    return {};
  },
});

export const kick = defineRoute({
  operationId: "kick",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/kick"),
  auth: "user",
  rateLimit: "message",
  body: withTarget,
  async handle({ deps, params, body, requester }) {
    await deps.membership.kick(params["roomId"] as string, requester!.userId, body.user_id, { reason: body.reason });
    return {};
  },
});

export const ban = defineRoute({
  operationId: "ban",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/ban"),
  auth: "user",
  rateLimit: "message",
  body: withTarget,
  async handle({ deps, params, body, requester }) {
    await deps.membership.ban(params["roomId"] as string, requester!.userId, body.user_id, { reason: body.reason });
    return {};
  },
});

export const unban = defineRoute({
  operationId: "unban",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/unban"),
  auth: "user",
  rateLimit: "message",
  body: withTarget,
  async handle({ deps, params, body, requester }) {
    await deps.membership.unban(params["roomId"] as string, requester!.userId, body.user_id, { reason: body.reason });
    return {};
  },
});

export const getJoinedRooms = defineRoute({
  operationId: "getJoinedRooms",
  method: "GET",
  paths: clientPaths("/joined_rooms"),
  auth: "user",
  allowGuests: true,
  async handle({ deps, requester }) {
    return { joined_rooms: await deps.roomReads.joinedRooms(requester!.userId) };
  },
});
