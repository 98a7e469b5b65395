/**
 * To-device messages (client-server API "Send-to-Device messaging"): each waits in its device's queue,
 * ordered by its position on the to_device stream, until the device acknowledges it by syncing with a
 * token past it. The highest position ever deleted is kept in `stream_floors`, so that a restart never
 * hands out a position a client already holds.
 */
import { sql } from "./kysely.js";
import type { Db, Executor } from "./db.js";

export interface ToDeviceRow {
  streamId: number;
  userId: string;
  deviceId: string;
  sender: string;
  type: string;
  /** JSON text of the message content. */
  content: string;
}

export interface QueuedMessage {
  streamId: number;
  sender: string;
  type: string;
  content: string;
}

const STREAM = "to_device";

export class ToDeviceStore {
  constructor(private readonly db: Db) {}

  /** The highest position the to-device stream has ever handed out (rows and the floor). */
  async highestPosition(): Promise<number> {
    const rows = await this.db.kysely.selectFrom("to_device_messages").select((eb) => eb.fn.max("stream_id").as("max")).executeTakeFirst();
    const floor = await this.db.kysely.selectFrom("stream_floors").select("position").where("stream", "=", STREAM).executeTakeFirst();
    return Math.max(Number(rows?.max ?? 0), Number(floor?.position ?? 0));
  }

  /** Records a transaction ID; false if the device already used it (a retried request). */
  async claimTxnId(executor: Executor, userId: string, deviceId: string, txnId: string, now: number): Promise<boolean> {
    const result = await executor
      .insertInto("to_device_txn_ids")
      .values({ user_id: userId, device_id: deviceId, txn_id: txnId, created_ts: now })
      .onConflict((oc) => oc.columns(["user_id", "device_id", "txn_id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async enqueue(executor: Executor, rows: readonly ToDeviceRow[]): Promise<void> {
    // Batches keep each statement under the databases' bound-parameter limits.
    for (let i = 0; i < rows.length; i += 500) {
      await executor
        .insertInto("to_device_messages")
        .values(
          rows.slice(i, i + 500).map((r) => ({ stream_id: r.streamId, user_id: r.userId, device_id: r.deviceId, sender: r.sender, type: r.type, content: r.content })),
        )
        .execute();
    }
  }

  /** Up to `limit` messages of a device in (after, upTo], oldest first. */
  async pending(userId: string, deviceId: string, after: number, upTo: number, limit: number): Promise<QueuedMessage[]> {
    const rows = await this.db.kysely
      .selectFrom("to_device_messages")
      .select(["stream_id", "sender", "type", "content"])
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .where("stream_id", ">", after)
      .where("stream_id", "<=", upTo)
      .orderBy("stream_id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ streamId: Number(r.stream_id), sender: r.sender, type: r.type, content: r.content }));
  }

  /** Deletes each device's messages up to its acknowledged position, in one transaction; keeps the floor. */
  async acknowledge(acks: readonly { userId: string; deviceId: string; upTo: number }[]): Promise<void> {
    if (acks.length === 0) return;
    await this.db.transaction(async (tx) => {
      let highest = 0;
      for (const ack of acks) {
        const deleted = await tx.db
          .deleteFrom("to_device_messages")
          .where("user_id", "=", ack.userId)
          .where("device_id", "=", ack.deviceId)
          .where("stream_id", "<=", ack.upTo)
          .returning("stream_id")
          .execute();
        highest = Math.max(highest, highestOf(deleted));
      }
      if (highest > 0) await this.raiseFloor(tx.db, highest);
    });
  }

  /** Deletes every message of the given devices (deleted devices). */
  async deleteDevices(executor: Executor, userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    const deleted = await executor
      .deleteFrom("to_device_messages")
      .where("user_id", "=", userId)
      .where("device_id", "in", deviceIds)
      .returning("stream_id")
      .execute();
    if (deleted.length > 0) await this.raiseFloor(executor, highestOf(deleted));
    await executor.deleteFrom("to_device_txn_ids").where("user_id", "=", userId).where("device_id", "in", deviceIds).execute();
  }

  private async raiseFloor(executor: Executor, position: number): Promise<void> {
    await executor
      .insertInto("stream_floors")
      .values({ stream: STREAM, position })
      .onConflict((oc) => oc.column("stream").doUpdateSet({ position: sql<number>`CASE WHEN stream_floors.position > ${position} THEN stream_floors.position ELSE ${position} END` }))
      .execute();
  }
}

function highestOf(rows: readonly { stream_id: number | string }[]): number {
  return rows.reduce((highest, row) => Math.max(highest, Number(row.stream_id)), 0);
}
