/**
 * Read receipts (client-server API "Receipts"): one row per (room, receipt type, user, thread) holding
 * the latest receipted event and the receipts stream position of the change.
 */
import type { Db, Executor } from "./db.js";
import type { ReceiptsTable } from "./schema/user-data.js";

export interface ReceiptRow {
  roomId: string;
  receiptType: string;
  userId: string;
  /** "" for an unthreaded receipt, "main" or a thread root's event ID for a threaded one. */
  threadId: string;
  eventId: string;
  eventStreamOrdering: number;
  /** The receipt's content as sent to clients ({ts, thread_id?}). */
  data: Record<string, unknown>;
  streamId: number;
}

const PRIVATE_TYPE = "m.read.private";

function toReceipt(row: ReceiptsTable): ReceiptRow {
  return {
    roomId: row.room_id,
    receiptType: row.receipt_type,
    userId: row.user_id,
    threadId: row.thread_id,
    eventId: row.event_id,
    eventStreamOrdering: Number(row.event_stream_ordering),
    data: JSON.parse(row.data) as Record<string, unknown>,
    streamId: Number(row.stream_id),
  };
}

export class ReceiptStore {
  constructor(private readonly db: Db) {}

  /**
   * Writes a receipt unless the stored one for the same (room, type, user, thread) is at the same or a
   * later event: receipts only move forward. Returns whether the row was written.
   */
  async upsert(executor: Executor, receipt: ReceiptRow): Promise<boolean> {
    const values = {
      room_id: receipt.roomId,
      receipt_type: receipt.receiptType,
      user_id: receipt.userId,
      thread_id: receipt.threadId,
      event_id: receipt.eventId,
      event_stream_ordering: receipt.eventStreamOrdering,
      data: JSON.stringify(receipt.data),
      stream_id: receipt.streamId,
    };
    // One statement, so two concurrent receipts cannot both pass a read-then-write check.
    const result = await executor
      .insertInto("receipts")
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(["room_id", "receipt_type", "user_id", "thread_id"])
          .doUpdateSet({
            event_id: values.event_id,
            event_stream_ordering: values.event_stream_ordering,
            data: values.data,
            stream_id: values.stream_id,
          })
          .where("receipts.event_stream_ordering", "<", values.event_stream_ordering),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** The receipts one user has in a room (every type and thread). */
  async ofUser(roomId: string, userId: string, executor: Executor = this.db.kysely): Promise<ReceiptRow[]> {
    const rows = await executor.selectFrom("receipts").selectAll().where("room_id", "=", roomId).where("user_id", "=", userId).execute();
    return rows.map((r) => toReceipt(r));
  }

  /** Receipts changed in (after, upTo] that `viewer` may see (others' private receipts left out). */
  async changedBetween(viewer: string, after: number, upTo: number): Promise<ReceiptRow[]> {
    const rows = await this.db.kysely
      .selectFrom("receipts")
      .selectAll()
      .where("stream_id", ">", after)
      .where("stream_id", "<=", upTo)
      .where((eb) => eb.or([eb("receipt_type", "!=", PRIVATE_TYPE), eb("user_id", "=", viewer)]))
      .execute();
    return rows.map((r) => toReceipt(r));
  }

  /** Every receipt up to `upTo` in these rooms that `viewer` may see (for initial syncs). */
  async inRooms(viewer: string, roomIds: readonly string[], upTo: number): Promise<ReceiptRow[]> {
    const out: ReceiptRow[] = [];
    for (let i = 0; i < roomIds.length; i += 500) {
      const chunk = roomIds.slice(i, i + 500);
      const rows = await this.db.kysely
        .selectFrom("receipts")
        .selectAll()
        .where("room_id", "in", chunk)
        .where("stream_id", "<=", upTo)
        .where((eb) => eb.or([eb("receipt_type", "!=", PRIVATE_TYPE), eb("user_id", "=", viewer)]))
        .execute();
      for (const row of rows) out.push(toReceipt(row));
    }
    return out;
  }
}
