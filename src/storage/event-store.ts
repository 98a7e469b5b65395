/**
 * The room event graph: event rows (the PDU as canonical JSON), prev/auth edges, forward
 * extremities, transaction IDs, redactions, on top of the events' numbers (event-numbers.ts). Reads
 * of events go through an LRU cache of parsed events, filled after commits.
 */
import { parseStrictJson } from "../protocol/strict-json.js";
import type { Pdu } from "../protocol/event.js";
import type { Executor } from "./db.js";
import { EventNumbers, ID_CHUNK } from "./event-numbers.js";
import { placeholderList, placeholderRows, Statement, StatementsByCount } from "./statement.js";
import { shownInTimeline } from "./timeline-filter.js";
import { lruCache } from "../lru.js";

// The statements of the send path, precompiled (see statement.ts).
const insertEventRow = new Statement(
  `INSERT INTO events (event_nid, room_nid, stream_ordering, depth, type, state_key_nid, sender, origin_server_ts, received_ts, json,
     outlier, rejected_reason, soft_failed, state_snapshot_nid, prev_state_event_nid, redacted_by_nid, relates_to_id, rel_type, thread_id)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
  { batchAs: "events" },
);
const insertPrevEdges = new StatementsByCount((n) => `INSERT INTO event_edges (event_nid, prev_event_nid) VALUES ${placeholderRows(n, 2)} ON CONFLICT DO NOTHING`, { batchAs: "event_edges" });
const insertAuthEdges = new StatementsByCount((n) => `INSERT INTO event_auth_edges (event_nid, auth_event_nid) VALUES ${placeholderRows(n, 2)} ON CONFLICT DO NOTHING`, {
  batchAs: "event_auth_edges",
});
// The delete and the insert of one update may share a batch (pg-write-batching.ts) although they write
// one table: they touch different rows (an event is never its own prev event), and each event's
// writes begin after interning its new ID, a read that sends whatever an earlier event left held.
const deleteExtremities = new StatementsByCount((n) => `DELETE FROM forward_extremities WHERE room_nid = ? AND event_nid IN (${placeholderList(n)})`, {
  batchAs: "forward_extremities (removed)",
});
const insertExtremities = new StatementsByCount((n) => `INSERT INTO forward_extremities (room_nid, event_nid) VALUES ${placeholderRows(n, 2)} ON CONFLICT DO NOTHING`, {
  batchAs: "forward_extremities (added)",
});
const selectTxn = new Statement<{ event_id: string }>(
  `SELECT event_ids.event_id FROM event_txn_ids INNER JOIN event_ids ON event_ids.event_nid = event_txn_ids.event_nid
   WHERE event_txn_ids.room_nid = ? AND event_txn_ids.user_id = ? AND event_txn_ids.device_id = ? AND event_txn_ids.txn_id = ?`,
);
const insertTxnRow = new Statement(`INSERT INTO event_txn_ids (room_nid, user_id, device_id, txn_id, event_nid, created_ts) VALUES (?, ?, ?, ?, ?, ?)`, {
  batchAs: "event_txn_ids",
});
const selectRedactions = new Statement<{ redaction_nid: number }>(`SELECT redaction_nid FROM redactions WHERE redacts_event_id = ?`);

/** Pairs `first` with each of `others` (deduplicated), flattened for a multi-row VALUES. */
function pairs(first: number, others: readonly number[]): { count: number; params: number[] } {
  const unique = [...new Set(others)];
  return { count: unique.length, params: unique.flatMap((other) => [first, other]) };
}

/** An event as stored, with its metadata. */
export interface StoredEvent {
  readonly nid: number;
  readonly eventId: string;
  readonly roomNid: number;
  readonly pdu: Pdu;
  readonly streamOrdering: number | null;
  readonly depth: number;
  readonly outlier: boolean;
  readonly rejectedReason: string | null;
  readonly softFailed: boolean;
  readonly stateSnapshotNid: number | null;
  readonly prevStateEventNid: number | null;
  readonly redactedByNid: number | null;
  readonly receivedTs: number;
}

export interface NewEventRow {
  nid: number;
  roomNid: number;
  streamOrdering: number | null;
  depth: number;
  type: string;
  stateKeyNid: number | null;
  sender: string;
  originServerTs: number;
  receivedTs: number;
  /** The PDU without `unsigned`, as canonical JSON text. */
  json: string;
  outlier: boolean;
  rejectedReason: string | null;
  softFailed: boolean;
  stateSnapshotNid: number | null;
  prevStateEventNid: number | null;
  relatesToId: string | null;
  relType: string | null;
  threadId: string | null;
}

const EVENT_COLUMNS = [
  "event_nid",
  "room_nid",
  "stream_ordering",
  "depth",
  "json",
  "outlier",
  "rejected_reason",
  "soft_failed",
  "state_snapshot_nid",
  "prev_state_event_nid",
  "redacted_by_nid",
  "received_ts",
] as const;

type EventRow = {
  event_nid: number;
  room_nid: number;
  stream_ordering: number | null;
  depth: number;
  json: string;
  outlier: number;
  rejected_reason: string | null;
  soft_failed: number;
  state_snapshot_nid: number | null;
  prev_state_event_nid: number | null;
  redacted_by_nid: number | null;
  received_ts: number;
};

/** Events of room versions 1–5 may hold integers beyond 2^53: parse those with the lenient strict parser. */
function parsePdu(json: string): Pdu {
  return (/\d{16,}/.test(json) ? parseStrictJson(json, { mode: "lenient" }) : JSON.parse(json)) as Pdu;
}

export class EventStore extends EventNumbers {
  private readonly events = lruCache<number, StoredEvent>(10_000);

  async insertEvent(executor: Executor, row: NewEventRow): Promise<void> {
    await insertEventRow.all(this.db.dialect, executor, [
      row.nid,
      row.roomNid,
      row.streamOrdering,
      row.depth,
      row.type,
      row.stateKeyNid,
      row.sender,
      row.originServerTs,
      row.receivedTs,
      row.json,
      row.outlier ? 1 : 0,
      row.rejectedReason,
      row.softFailed ? 1 : 0,
      row.stateSnapshotNid,
      row.prevStateEventNid,
      row.relatesToId,
      row.relType,
      row.threadId,
    ]);
  }

  async insertEdges(executor: Executor, eventNid: number, prevNids: readonly number[], authNids: readonly number[]): Promise<void> {
    const prev = pairs(eventNid, prevNids);
    if (prev.count > 0) await insertPrevEdges.of(prev.count).all(this.db.dialect, executor, prev.params);
    const auth = pairs(eventNid, authNids);
    if (auth.count > 0) await insertAuthEdges.of(auth.count).all(this.db.dialect, executor, auth.params);
  }

  /** Which of these events are stored (as full events, outliers included). */
  async haveEvents(eventIds: readonly string[]): Promise<Set<string>> {
    const nids = await this.eventNids(eventIds);
    if (nids.size === 0) return new Set();
    const all = [...nids.values()];
    const have = new Set<number>();
    for (let i = 0; i < all.length; i += ID_CHUNK) {
      const rows = await this.db.kysely.selectFrom("events").select("event_nid").where("event_nid", "in", all.slice(i, i + ID_CHUNK)).execute();
      for (const row of rows) have.add(Number(row.event_nid));
    }
    return new Set([...nids].filter(([, nid]) => have.has(nid)).map(([id]) => id));
  }

  private toStored(row: EventRow, eventId: string): StoredEvent {
    return {
      nid: Number(row.event_nid),
      eventId,
      roomNid: Number(row.room_nid),
      pdu: parsePdu(row.json),
      streamOrdering: row.stream_ordering === null ? null : Number(row.stream_ordering),
      depth: Number(row.depth),
      outlier: !!row.outlier,
      rejectedReason: row.rejected_reason,
      softFailed: !!row.soft_failed,
      stateSnapshotNid: row.state_snapshot_nid === null ? null : Number(row.state_snapshot_nid),
      prevStateEventNid: row.prev_state_event_nid === null ? null : Number(row.prev_state_event_nid),
      redactedByNid: row.redacted_by_nid === null ? null : Number(row.redacted_by_nid),
      receivedTs: Number(row.received_ts),
    };
  }

  /** Events by number, from the cache or the database; missing ones are absent from the map. */
  async getByNids(nids: readonly number[], executor: Executor = this.db.kysely): Promise<Map<number, StoredEvent>> {
    const out = new Map<number, StoredEvent>();
    const missing: number[] = [];
    for (const nid of nids) {
      const cached = this.events.get(nid);
      if (cached) out.set(nid, cached);
      else missing.push(nid);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = (await executor.selectFrom("events").select(EVENT_COLUMNS).where("event_nid", "in", chunk).execute()) as EventRow[];
      const ids = await this.eventIdsOf(rows.map((r) => Number(r.event_nid)), executor);
      for (const row of rows) {
        const nid = Number(row.event_nid);
        const stored = this.toStored(row, ids.get(nid) as string);
        out.set(nid, stored);
        if (executor === this.db.kysely) this.events.set(nid, stored);
      }
    }
    return out;
  }

  async getByIds(eventIds: readonly string[], executor: Executor = this.db.kysely): Promise<Map<string, StoredEvent>> {
    // Every one cached (a new event's prev and auth events, usually): no lookups to gather.
    const cached = new Map<string, StoredEvent>();
    for (const id of eventIds) {
      const nid = this.ids.nid(id);
      const stored = nid === undefined ? undefined : this.events.get(nid);
      if (stored === undefined) break;
      cached.set(id, stored);
    }
    if (cached.size === eventIds.length) return cached;
    const nids = await this.eventNids(eventIds, executor);
    const byNid = await this.getByNids([...nids.values()], executor);
    const out = new Map<string, StoredEvent>();
    for (const stored of byNid.values()) out.set(stored.eventId, stored);
    return out;
  }

  async getById(eventId: string, executor: Executor = this.db.kysely): Promise<StoredEvent | undefined> {
    return (await this.getByIds([eventId], executor)).get(eventId);
  }

  /** Puts a just-committed event in the cache. */
  cacheEvent(event: StoredEvent): void {
    this.events.set(event.nid, event);
    this.ids.remember(event.eventId, event.nid);
  }

  /** Drops an event from the cache (its redaction or rejection changed). */
  uncacheEvent(nid: number): void {
    this.events.delete(nid);
  }

  async getForwardExtremities(roomNid: number, executor: Executor = this.db.kysely): Promise<number[]> {
    const rows = await executor.selectFrom("forward_extremities").select("event_nid").where("room_nid", "=", roomNid).execute();
    return rows.map((r) => Number(r.event_nid));
  }

  /** Replaces some forward extremities with new ones (an event's prev_events stop being extremities). */
  async updateForwardExtremities(executor: Executor, roomNid: number, remove: readonly number[], add: readonly number[]): Promise<void> {
    if (remove.length > 0) await deleteExtremities.of(remove.length).all(this.db.dialect, executor, [roomNid, ...remove]);
    const added = pairs(roomNid, add);
    if (added.count > 0) await insertExtremities.of(added.count).all(this.db.dialect, executor, added.params);
  }

  /**
   * Whether `error` is a persist failing because its transaction ID was recorded already (a retry of
   * a request whose event committed): the sender then answers with that event.
   */
  static isDuplicateTxn(error: unknown): boolean {
    if (typeof error !== "object" || error === null) return false;
    const { code, table, message } = error as { code?: unknown; table?: unknown; message?: unknown };
    if (code === "23505") return table === "event_txn_ids"; // PostgreSQL unique_violation
    return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT") && typeof message === "string" && message.includes("event_txn_ids.");
  }

  async findTxn(roomNid: number, userId: string, deviceId: string, txnId: string): Promise<string | undefined> {
    return (await selectTxn.first(this.db.dialect, this.db.kysely, [roomNid, userId, deviceId, txnId]))?.event_id;
  }

  async insertTxn(executor: Executor, roomNid: number, userId: string, deviceId: string, txnId: string, eventNid: number, now: number): Promise<void> {
    await insertTxnRow.all(this.db.dialect, executor, [roomNid, userId, deviceId, txnId, eventNid, now]);
  }

  /** The transaction ID an event was sent with, if it was sent by this device (for unsigned.transaction_id). */
  async txnIdsFor(eventNids: readonly number[], userId: string, deviceId: string): Promise<Map<number, string>> {
    if (eventNids.length === 0) return new Map();
    const rows = await this.db.kysely
      .selectFrom("event_txn_ids")
      .select(["event_nid", "txn_id"])
      .where("event_nid", "in", eventNids)
      .where("user_id", "=", userId)
      .where("device_id", "=", deviceId)
      .execute();
    return new Map(rows.map((r) => [Number(r.event_nid), r.txn_id]));
  }

  async insertRedaction(executor: Executor, redactionNid: number, redactsEventId: string, roomNid: number): Promise<void> {
    await executor
      .insertInto("redactions")
      .values({ redaction_nid: redactionNid, redacts_event_id: redactsEventId, room_nid: roomNid })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Redactions that target an event (received before or after it). */
  async redactionsOf(eventId: string, executor: Executor = this.db.kysely): Promise<number[]> {
    const rows = await selectRedactions.all(this.db.dialect, executor, [eventId]);
    return rows.map((r) => Number(r.redaction_nid));
  }

  async markRedacted(executor: Executor, eventNid: number, redactionNid: number): Promise<void> {
    await executor.updateTable("events").set({ redacted_by_nid: redactionNid }).where("event_nid", "=", eventNid).where("redacted_by_nid", "is", null).execute();
  }

  /**
   * Events of a room in stream order within (after, upTo], newest first, at most `limit`: what sync's
   * timeline shows. Outliers, rejected and soft-failed events never appear.
   */
  async roomEventsByStream(roomNid: number, after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.db.kysely
      .selectFrom("events")
      .select("event_nid")
      .where("room_nid", "=", roomNid)
      .where("stream_ordering", ">", after)
      .where("stream_ordering", "<=", upTo)
      .where(shownInTimeline)
      .orderBy("stream_ordering", "desc")
      .limit(limit)
      .execute();
    return this.inOrder(rows.map((r) => Number(r.event_nid)));
  }

  /**
   * Events of a room in topological order (depth, stream) strictly before (backwards) or after
   * (forwards) a point, at most `limit`, in the direction of travel: what /messages pages through.
   */
  async roomEventsTopological(
    roomNid: number,
    from: { depth: number; stream: number },
    direction: "b" | "f",
    limit: number,
    to?: { depth: number; stream: number },
  ): Promise<StoredEvent[]> {
    let query = this.db.kysely
      .selectFrom("events")
      .select("event_nid")
      .where("room_nid", "=", roomNid)
      .where("stream_ordering", "is not", null)
      .where(shownInTimeline);
    if (direction === "b") {
      query = query
        .where((eb) => eb.or([eb("depth", "<", from.depth), eb.and([eb("depth", "=", from.depth), eb("stream_ordering", "<", from.stream)])]))
        .orderBy("depth", "desc")
        .orderBy("stream_ordering", "desc");
      if (to) query = query.where((eb) => eb.or([eb("depth", ">", to.depth), eb.and([eb("depth", "=", to.depth), eb("stream_ordering", ">=", to.stream)])]));
    } else {
      query = query
        .where((eb) => eb.or([eb("depth", ">", from.depth), eb.and([eb("depth", "=", from.depth), eb("stream_ordering", ">", from.stream)])]))
        .orderBy("depth", "asc")
        .orderBy("stream_ordering", "asc");
      if (to) query = query.where((eb) => eb.or([eb("depth", "<", to.depth), eb.and([eb("depth", "=", to.depth), eb("stream_ordering", "<=", to.stream)])]));
    }
    const rows = await query.limit(limit).execute();
    return this.inOrder(rows.map((r) => Number(r.event_nid)));
  }

  /** The (depth, stream) of the room's newest event at or before a stream position, for stream tokens. */
  async topologicalPointAt(roomNid: number, stream: number): Promise<{ depth: number; stream: number } | undefined> {
    const row = await this.db.kysely
      .selectFrom("events")
      .select(["depth", "stream_ordering"])
      .where("room_nid", "=", roomNid)
      .where("stream_ordering", "<=", stream)
      .orderBy("stream_ordering", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? { depth: Number(row.depth), stream: Number(row.stream_ordering) } : undefined;
  }

  /** Which of these rooms have events with stream positions in (after, upTo]. */
  async roomsWithEventsBetween(roomNids: readonly number[], after: number, upTo: number): Promise<Set<number>> {
    const out = new Set<number>();
    for (let i = 0; i < roomNids.length; i += 500) {
      const rows = await this.db.kysely
        .selectFrom("events")
        .select("room_nid")
        .distinct()
        .where("room_nid", "in", roomNids.slice(i, i + 500))
        .where("stream_ordering", ">", after)
        .where("stream_ordering", "<=", upTo)
        .execute();
      for (const r of rows) out.add(Number(r.room_nid));
    }
    return out;
  }

  private async inOrder(nids: readonly number[]): Promise<StoredEvent[]> {
    const found = await this.getByNids(nids);
    return nids.map((nid) => found.get(nid)).filter((e): e is StoredEvent => e !== undefined);
  }
}
