/** PUT /_matrix/federation/v1/send/{txnId} — server-server API "Transactions". */
import { z } from "zod";
import { defineRoute } from "../route.js";

export const sendTransaction = defineRoute({
  operationId: "sendTransaction",
  method: "PUT",
  paths: ["/_matrix/federation/v1/send/:txnId"],
  auth: "server",
  // Up to 50 PDUs and 100 EDUs of up to 64 KiB each: far more than a client request may carry.
  maxBodyBytes: 150 * 65_536 + 65_536,
  body: z.object({ origin: z.string(), origin_server_ts: z.number().int(), pdus: z.array(z.unknown()), edus: z.array(z.unknown()).optional() }),
  handle: ({ deps, origin, params, body }) => deps.transactions.receive(origin!, params["txnId"] as string, body),
});
