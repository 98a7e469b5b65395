/** POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId} — client-server API "Receipts". */
import { z } from "zod";
import { MatrixError } from "../../../errors.js";
import { RECEIPT_TYPES, type ReceiptType } from "../../../services/ephemeral/receipt-service.js";
import { clientPaths, defineRoute } from "../../route.js";

export const postReceipt = defineRoute({
  operationId: "postReceipt",
  method: "POST",
  paths: clientPaths("/rooms/:roomId/receipt/:receiptType/:eventId"),
  auth: "user",
  body: z.record(z.string(), z.unknown()),
  async handle({ deps, params, body, requester }) {
    const receiptType = params["receiptType"] as string;
    if (!(RECEIPT_TYPES as readonly string[]).includes(receiptType)) {
      throw new MatrixError(400, "M_INVALID_PARAM", `Receipt type must be one of ${RECEIPT_TYPES.join(", ")}`);
    }
    const eventId = params["eventId"] as string;
    if (!eventId.startsWith("$")) throw new MatrixError(400, "M_INVALID_PARAM", "A valid event ID must be given");
    let threadId: string | undefined;
    if ("thread_id" in body) {
      const value = body["thread_id"];
      if (typeof value !== "string" || value.length === 0) throw new MatrixError(400, "M_INVALID_PARAM", "thread_id field must be a non-empty string");
      threadId = value;
    }
    await deps.receipts.postReceipt(requester!, params["roomId"] as string, receiptType as ReceiptType, eventId, threadId);
    return {};
  },
});
