/**
 * POST /_synapse/admin/v1/send_server_notice and PUT .../send_server_notice/{txnId} — Synapse's admin
 * API for server notices (the path and body that admin tools call): `user_id`, `content`, optional
 * `type` (m.room.message) and `state_key`. Server admins only.
 */
import { z } from "zod";
import { MatrixError } from "../../errors.js";
import type { JsonObject } from "../../protocol/json.js";
import { defineRoute, type RouteRequest } from "../route.js";

const PATH = "/_synapse/admin/v1/send_server_notice";

const body = z
  .object({ user_id: z.string(), content: z.record(z.string(), z.unknown()), type: z.string().optional(), state_key: z.string().optional() })
  .passthrough();

type Body = z.infer<typeof body>;

async function send(request: RouteRequest<Body>, txnId?: string): Promise<{ event_id: string }> {
  const { deps, requester, body: notice } = request;
  if (!requester!.isAdmin) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
  return deps.serverNotices.sendNotice(notice.user_id, {
    content: notice.content as JsonObject,
    type: notice.type,
    stateKey: notice.state_key,
    // Retries are recognised per admin, as transaction IDs are per client.
    ...(txnId !== undefined ? { txn: { scope: `admin:${requester!.userId}`, txnId } } : {}),
  });
}

export const sendServerNotice = defineRoute({
  operationId: "sendServerNotice",
  method: "POST",
  paths: [PATH],
  auth: "user",
  body,
  handle: (request) => send(request),
});

export const sendServerNoticeWithTxn = defineRoute({
  operationId: "sendServerNotice",
  method: "PUT",
  paths: [`${PATH}/:txnId`],
  auth: "user",
  body,
  handle: (request) => send(request, request.params["txnId"] as string),
});
