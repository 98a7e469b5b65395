/**
 * Server ACLs on the PDUs of a `/send` transaction (server-server API "Server Access Control Lists"):
 * checked per PDU, against the ACL of the room each names. A PDU for a room whose ACL denies the
 * sending server is not processed; it gets an error in the transaction's answer under its event ID,
 * while the transaction as a whole still succeeds.
 */
import { computeEventId } from "../../protocol/event-id.js";
import { isJsonObject, type JsonObject } from "../../protocol/json.js";
import type { CurrentStateCache } from "../rooms/current-state.js";
import type { ServerAclService } from "./server-acl-service.js";

export interface AclPartition {
  /** PDUs to process as usual (including those for rooms we do not know, which the handler skips). */
  allowed: unknown[];
  /** The answer for each refused PDU, by event ID. */
  refused: Record<string, JsonObject>;
}

/** Splits a transaction's PDUs into those `origin` may send and the answers for those it may not. */
export async function partitionByServerAcl(acl: ServerAclService, heads: CurrentStateCache, origin: string, pdus: readonly unknown[]): Promise<AclPartition> {
  const partition: AclPartition = { allowed: [], refused: {} };
  for (const raw of pdus) {
    const roomId = isJsonObject(raw) && typeof raw["room_id"] === "string" ? raw["room_id"] : undefined;
    if (roomId === undefined || (await acl.isServerAllowed(origin, roomId))) {
      partition.allowed.push(raw);
      continue;
    }
    // A denied server's PDU is only answered when its ID can be computed (as for any malformed PDU).
    const head = await heads.find(roomId);
    const eventId = head ? eventIdOf(raw, head.version) : undefined;
    if (eventId !== undefined) partition.refused[eventId] = { error: "Server is banned from this room by its server ACL" };
  }
  return partition;
}

function eventIdOf(raw: unknown, version: Parameters<typeof computeEventId>[1]): string | undefined {
  try {
    return computeEventId(raw as object, version);
  } catch {
    return undefined;
  }
}
