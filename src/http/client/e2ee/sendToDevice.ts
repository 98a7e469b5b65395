/** PUT /sendToDevice/{eventType}/{txnId} — client-server API "Send-to-Device messaging". */
import { z } from "zod";
import { clientPaths, defineRoute } from "../../route.js";

export const sendToDevice = defineRoute({
  operationId: "sendToDevice",
  method: "PUT",
  paths: clientPaths("/sendToDevice/:eventType/:txnId"),
  auth: "user",
  body: z.object({ messages: z.unknown() }),
  async handle({ deps, requester, params, body }) {
    await deps.toDevice.send(requester!, params["eventType"] as string, params["txnId"] as string, body.messages);
    return {};
  },
});
