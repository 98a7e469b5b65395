/**
 * Receipts in /sync: an `m.receipt` ephemeral event per joined room with the receipts changed since the
 * token (all of them on an initial or full-state sync). Others' m.read.private receipts never appear.
 */
import type { ReceiptRow, ReceiptStore } from "../../storage/receipt-store.js";
import type { SyncContext, SyncContributor } from "../sync/sync-types.js";
import { ephemeralAllowed, ephemeralFromScratch } from "./ephemeral-filter.js";

type ReceiptContent = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

/** Batches a room's receipts into one event's content: event ID → receipt type → user → data. */
export function receiptContent(rows: readonly ReceiptRow[]): ReceiptContent {
  const content: ReceiptContent = {};
  for (const row of rows) {
    const byType = (content[row.eventId] ??= {});
    const byUser = (byType[row.receiptType] ??= {});
    byUser[row.userId] = row.data;
  }
  return content;
}

/** The sync contributor for receipts. */
export function receiptSyncContributor(store: ReceiptStore): SyncContributor {
  // One query per sync computation, shared by roomsWithChanges and every joinedRoom call.
  const loaded = new WeakMap<SyncContext, Promise<Map<string, ReceiptRow[]>>>();
  const receiptsFor = (context: SyncContext): Promise<Map<string, ReceiptRow[]>> => {
    let pending = loaded.get(context);
    if (!pending) {
      pending = load(store, context);
      loaded.set(context, pending);
    }
    return pending;
  };
  return {
    async roomsWithChanges(context) {
      if (ephemeralFromScratch(context)) return [];
      const byRoom = await receiptsFor(context);
      return [...byRoom.keys()].filter((roomId) => ephemeralAllowed(context, roomId, "m.receipt"));
    },
    async joinedRoom(context, roomId, room) {
      if (!ephemeralAllowed(context, roomId, "m.receipt")) return;
      const rows = (await receiptsFor(context)).get(roomId);
      if (rows && rows.length > 0) room.ephemeral.events.push({ type: "m.receipt", content: receiptContent(rows) });
    },
  };
}

async function load(store: ReceiptStore, context: SyncContext): Promise<Map<string, ReceiptRow[]>> {
  const viewer = context.requester.userId;
  const fromScratch = ephemeralFromScratch(context);
  // Nothing was written between the two positions: no need to ask (most woken long-polls).
  if (!fromScratch && context.since?.receipts === context.now.receipts) return new Map();
  const joined = new Set(context.joinedRoomIds);
  const rows = fromScratch
    ? await store.inRooms(viewer, context.joinedRoomIds, context.now.receipts)
    : await store.changedBetween(viewer, (context.since as SyncContext["now"]).receipts, context.now.receipts);
  const byRoom = new Map<string, ReceiptRow[]>();
  for (const row of rows) {
    if (!joined.has(row.roomId)) continue;
    let list = byRoom.get(row.roomId);
    if (!list) {
      list = [];
      byRoom.set(row.roomId, list);
    }
    list.push(row);
  }
  return byRoom;
}
