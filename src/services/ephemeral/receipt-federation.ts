/**
 * Read receipts between servers (server-server API "Receipts", the `m.receipt` EDU): the EDU for one
 * local user's public read receipt, and the receipts of an inbound EDU that may be stored — only
 * `m.read` receipts (private receipts never leave their server), only for users of the sending
 * server, and one event per receipt (the schema allows exactly one in `event_ids`).
 */
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import { domainOfId } from "../../protocol/identifiers.js";

export interface RemoteReceipt {
  roomId: string;
  userId: string;
  eventId: string;
  /** Undefined for an unthreaded receipt. */
  threadId: string | undefined;
  ts: number;
}

/** At most this many receipts are taken from one EDU, so that one EDU cannot hold up a transaction. */
const MAX_RECEIPTS_PER_EDU = 1_000;

/** The `m.receipt` EDU content for one read receipt of a local user. */
export function receiptEduContent(roomId: string, userId: string, eventId: string, ts: number, threadId: string | undefined): JsonObject {
  const data: JsonObject = { ts, ...(threadId !== undefined ? { thread_id: threadId } : {}) };
  return { [roomId]: { "m.read": { [userId]: { event_ids: [eventId], data } } } };
}

/** The well-formed `m.read` receipts of an inbound EDU whose users belong to `origin`; anything else is skipped. */
export function receiptsOfEdu(origin: string, content: JsonObject): RemoteReceipt[] {
  const out: RemoteReceipt[] = [];
  for (const [roomId, byType] of Object.entries(content)) {
    if (!roomId.startsWith("!") || !isJsonObject(byType)) continue;
    const byUser = byType["m.read"];
    if (!isJsonObject(byUser)) continue;
    for (const [userId, receipt] of Object.entries(byUser)) {
      if (out.length >= MAX_RECEIPTS_PER_EDU) return out;
      if (!userId.startsWith("@") || domainOfId(userId) !== origin || !isJsonObject(receipt)) continue;
      const eventIds = receipt["event_ids"];
      const data = receipt["data"];
      if (!Array.isArray(eventIds) || typeof eventIds[0] !== "string" || !isJsonObject(data)) continue;
      const ts = typeof data["ts"] === "number" && Number.isSafeInteger(data["ts"]) ? data["ts"] : 0;
      const threadId = typeof data["thread_id"] === "string" ? data["thread_id"] : undefined;
      // Synapse sends a single event here too; should a server send several, the first one counts.
      out.push({ roomId, userId, eventId: eventIds[0], threadId, ts });
    }
  }
  return out;
}
