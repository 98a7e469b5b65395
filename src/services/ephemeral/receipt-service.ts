/**
 * Receipts and read markers (client-server API "Receipts", "Read and unread markers"): m.read and
 * m.read.private receipts, unthreaded or threaded, that only ever move forward in the room's stream;
 * and the fully read marker, kept as the `m.fully_read` room account data event.
 */
import { MatrixError } from "../../errors.js";
import type { Notification, Notifier } from "../../notifier/notifier.js";
import type { Db, Tx } from "../../storage/db.js";
import type { EventStore, StoredEvent } from "../../storage/event-store.js";
import { readFullyReadMarker, writeFullyReadMarker } from "../../storage/fully-read-store.js";
import type { ReceiptStore } from "../../storage/receipt-store.js";
import type { StreamIdGenerator } from "../../storage/stream-ids.js";
import type { Requester } from "../accounts/requester.js";
import type { Clock } from "../clock.js";
import { requireJoined, type MembershipLookup } from "./joined-check.js";
import type { RemoteReceipt } from "./receipt-federation.js";
import { eventFitsThread } from "./thread-check.js";

export const RECEIPT_TYPES = ["m.read", "m.read.private", "m.fully_read"] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];

export interface ReadMarkers {
  fullyRead?: string | undefined;
  read?: string | undefined;
  readPrivate?: string | undefined;
}

export interface ReceiptStreams {
  receipts: StreamIdGenerator;
  accountData: StreamIdGenerator;
}

/** Queues the `m.receipt` EDU for a local user's public read receipt, in the receipt's transaction. */
export type ReceiptAnnouncer = (tx: Tx, roomId: string, userId: string, eventId: string, ts: number, threadId: string | undefined) => Promise<void>;

export class ReceiptService {
  private announce: ReceiptAnnouncer | undefined;

  constructor(
    private readonly db: Db,
    private readonly receipts: ReceiptStore,
    private readonly events: EventStore,
    private readonly memberships: MembershipLookup,
    private readonly streams: ReceiptStreams,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly onActivity: (userId: string) => void = () => undefined,
  ) {}

  private readonly readMovedListeners: ((userId: string) => void)[] = [];

  /** `listener` hears of each local user's read receipt (m.read or m.read.private) that moved, once it committed. */
  onOwnReadReceiptMoved(listener: (userId: string) => void): void {
    this.readMovedListeners.push(listener);
  }

  /** POST /rooms/{roomId}/receipt/{receiptType}/{eventId}; `threadId` undefined for an unthreaded receipt. */
  async postReceipt(requester: Requester, roomId: string, receiptType: ReceiptType, eventId: string, threadId: string | undefined): Promise<void> {
    if (receiptType === "m.fully_read") {
      if (threadId !== undefined) throw new MatrixError(400, "M_INVALID_PARAM", "thread_id is not compatible with m.fully_read");
      return this.setReadMarkers(requester, roomId, { fullyRead: eventId });
    }
    const userId = requester.userId;
    const roomNid = await requireJoined(this.memberships, roomId, userId);
    const event = await this.eventInRoom(roomNid, eventId);
    if (threadId !== undefined && !(await eventFitsThread(event, threadId, (id) => this.events.getById(id)))) {
      throw new MatrixError(400, "M_INVALID_PARAM", `${eventId} is not related to thread ${threadId}`);
    }
    this.onActivity(userId);
    await this.db.transaction(async (tx) => this.writeReceipt(tx, roomId, userId, receiptType, event, threadId));
  }

  /** POST /rooms/{roomId}/read_markers: the fully read marker and, in the same step, read receipts. */
  async setReadMarkers(requester: Requester, roomId: string, markers: ReadMarkers): Promise<void> {
    const userId = requester.userId;
    const roomNid = await requireJoined(this.memberships, roomId, userId);
    const fullyRead = markers.fullyRead !== undefined ? await this.eventInRoom(roomNid, markers.fullyRead) : undefined;
    const read = markers.read !== undefined ? await this.eventInRoom(roomNid, markers.read) : undefined;
    const readPrivate = markers.readPrivate !== undefined ? await this.eventInRoom(roomNid, markers.readPrivate) : undefined;
    this.onActivity(userId);
    await this.db.transaction(async (tx) => {
      if (fullyRead) await this.writeFullyRead(tx, roomNid, roomId, userId, fullyRead);
      if (read) await this.writeReceipt(tx, roomId, userId, "m.read", read, undefined);
      if (readPrivate) await this.writeReceipt(tx, roomId, userId, "m.read.private", readPrivate, undefined);
    });
  }

  /** Wired by context.ts once federation exists. */
  setAnnouncer(announce: ReceiptAnnouncer): void {
    this.announce = announce;
  }

  /**
   * Read receipts from another server's `m.receipt` EDU (already limited to its own users), stored as
   * local ones so that members see them and they count for read state. A receipt of a user who is
   * not joined, or for an event we cannot place in the room's timeline, is skipped: the store needs
   * the event's position to keep receipts moving forward only.
   */
  async receiveRemote(receipts: readonly RemoteReceipt[]): Promise<void> {
    for (const receipt of receipts) {
      const room = await this.memberships.get(receipt.roomId);
      if (!room || (await this.memberships.membership(room.roomNid, receipt.userId)) !== "join") continue;
      const event = await this.events.getById(receipt.eventId);
      if (!event || event.roomNid !== room.roomNid || event.streamOrdering === null) continue;
      const placed = event as StoredEvent & { streamOrdering: number };
      await this.db.transaction(async (tx) => this.writeReceipt(tx, receipt.roomId, receipt.userId, "m.read", placed, receipt.threadId, receipt.ts));
    }
  }

  /** An event of the room's timeline, or 404 (unknown, another room's, or an outlier without a place). */
  private async eventInRoom(roomNid: number, eventId: string): Promise<StoredEvent & { streamOrdering: number }> {
    const event = await this.events.getById(eventId);
    if (!event || event.roomNid !== roomNid || event.streamOrdering === null) throw new MatrixError(404, "M_NOT_FOUND", `Event ${eventId} not found in this room`);
    return event as StoredEvent & { streamOrdering: number };
  }

  private async writeReceipt(
    tx: Tx,
    roomId: string,
    userId: string,
    receiptType: "m.read" | "m.read.private",
    event: StoredEvent & { streamOrdering: number },
    threadId: string | undefined,
    remoteTs?: number,
  ): Promise<void> {
    const ts = remoteTs ?? this.clock.now();
    const streamId = this.streams.receipts.allocate(tx);
    const written = await this.receipts.upsert(tx.db, {
      roomId,
      receiptType,
      userId,
      threadId: threadId ?? "",
      eventId: event.eventId,
      eventStreamOrdering: event.streamOrdering,
      data: { ts, ...(threadId !== undefined ? { thread_id: threadId } : {}) },
      streamId,
    });
    if (!written) return; // an older event than the stored receipt's: receipts never go back
    // Our users' public receipts go to the room's other servers; receipts from them are not sent on.
    if (receiptType === "m.read" && remoteTs === undefined) await this.announce?.(tx, roomId, userId, event.eventId, ts, threadId);
    // A private receipt concerns only its owner; a public one every member of the room.
    const audience: Pick<Notification, "roomIds" | "userIds"> = receiptType === "m.read.private" ? { userIds: [userId] } : { roomIds: [roomId] };
    tx.onCommit(() => {
      if (remoteTs === undefined) for (const listener of this.readMovedListeners) listener(userId);
      this.notifier.notify({ stream: "receipts", position: this.streams.receipts.current, ...audience });
    });
  }

  private async writeFullyRead(tx: Tx, roomNid: number, roomId: string, userId: string, event: StoredEvent & { streamOrdering: number }): Promise<void> {
    // As Synapse, the marker only moves forward (unless it points at an event we cannot place).
    const currentId = await readFullyReadMarker(tx.db, userId, roomId);
    if (currentId !== undefined) {
      const current = await this.events.getById(currentId, tx.db);
      if (current && current.roomNid === roomNid && current.streamOrdering !== null && current.streamOrdering >= event.streamOrdering) return;
    }
    const streamId = this.streams.accountData.allocate(tx);
    await writeFullyReadMarker(tx.db, userId, roomId, event.eventId, streamId);
    tx.onCommit(() => this.notifier.notify({ stream: "account_data", position: this.streams.accountData.current, userIds: [userId] }));
  }
}
