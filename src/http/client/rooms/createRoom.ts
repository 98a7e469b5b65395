/** POST /_matrix/client/v3/createRoom — client-server API "Creation". */
import { z } from "zod";
import { refuseIfSuspended } from "../../../services/accounts/suspension.js";
import { clientPaths, defineRoute } from "../../route.js";

const jsonObject = z.record(z.string(), z.unknown());

export const createRoom = defineRoute({
  operationId: "createRoom",
  method: "POST",
  paths: clientPaths("/createRoom"),
  auth: "user",
  rateLimit: "message",
  body: z.object({
    visibility: z.enum(["public", "private"]).optional(),
    room_alias_name: z.string().min(1).optional(),
    name: z.string().optional(),
    topic: z.string().optional(),
    invite: z.array(z.string()).optional(),
    invite_3pid: z.array(z.unknown()).optional(),
    room_version: z.string().optional(),
    creation_content: jsonObject.optional(),
    initial_state: z.array(z.object({ type: z.string(), state_key: z.string().optional(), content: jsonObject })).optional(),
    preset: z.enum(["private_chat", "public_chat", "trusted_private_chat"]).optional(),
    is_direct: z.boolean().optional(),
    power_level_content_override: jsonObject.optional(),
  }),
  async handle({ deps, body, requester }) {
    refuseIfSuspended(requester);
    const { invite_3pid: _thirdParty, ...request } = body;
    return deps.createRoom.createRoom(requester!.userId, request as Parameters<typeof deps.createRoom.createRoom>[1]);
  },
});
