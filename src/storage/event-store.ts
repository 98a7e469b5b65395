/**
 * The room event graph: interned event IDs, event rows (the PDU as canonical JSON), prev/auth edges,
 * forward extremities, transaction IDs, redactions. Reads of events go through an LRU cache of
 * parsed events, filled after commits.
 */
import { parseStrictJson } from "../protocol/strict-json.js";
import type { Pdu } from "../protocol/event.js";
import type { Db, Executor, Tx } from "./db.js";
import { InternCache } from "./id-interner.js";
import { placeholderList, placeholderRows, Statement, StatementsByCount } from "./statement.js";
import { shownInTimeline } from "./timeline-filter.js";
import { lruCache } from "../lru.js";

// The statements of the send path, precompiled (see statement.ts).
const internIds = new StatementsByCount<{ event_id: string; event_nid: number }>(
  // The no-op update makes a conflicting (known) ID return its number in the same statement.
  (n) => `INSERT INTO event_ids (event_id) VALUES ${placeholderRows(n, 1)} ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id RETURNING event_id, event_nid`,
);
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
// PostgreSQL only (internNewEventIds): numbers for new IDs, a block per round trip, and the insert of
// an ID with its number, which needs no answer and so can ride in the transaction's batch.
const PG_NID_BLOCK = 100;
const drawEventNids = new Statement<{ nid: number }>(`SELECT nextval(pg_get_serial_sequence('event_ids', 'event_nid')) AS nid FROM generate_series(1, CAST(? AS INTEGER))`);
const insertNewId = new Statement(`INSERT INTO event_ids (event_nid, event_id) VALUES (?, ?)`, { batchAs: "event_ids" });
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

/** IDs per statement where a list of IDs may be long. */
const ID_CHUNK = 500;

export class EventStore {
  private readonly ids = new InternCache(50_000);
  private readonly events = lruCache<number, StoredEvent>(10_000);
  /**
   * Numbers given to IDs by a transaction that has not committed yet, by transaction: a chain of
   * events persisted together cites the one before it, numbered a moment ago in the same transaction
   * (the shared cache learns numbers only once they are committed).
   */
  private readonly numberedIn = new WeakMap<Tx, Map<string, number>>();

  private numberedInTransaction(tx: Tx): Map<string, number> {
    let numbered = this.numberedIn.get(tx);
    if (!numbered) this.numberedIn.set(tx, (numbered = new Map()));
    return numbered;
  }

  constructor(private readonly db: Db) {}

  /** Numbers for event IDs, creating the missing ones (cached once the transaction commits). */
  async internEventIds(tx: Tx, eventIds: readonly string[]): Promise<Map<string, number>> {
    const executor = tx.db;
    const out = new Map<string, number>();
    const missingSet = new Set<string>();
    const numbered = this.numberedIn.get(tx);
    for (const id of eventIds) {
      const nid = this.ids.nid(id) ?? numbered?.get(id);
      if (nid !== undefined) out.set(id, nid);
      else missingSet.add(id);
    }
    if (missingSet.size === 0) return out;
    const missing = [...missingSet];
    const created = new Map<string, number>();
    // In chunks: a join of a large room interns tens of thousands of IDs, beyond SQLite's 32 766
    // statement parameters.
    for (let i = 0; i < missing.length; i += ID_CHUNK) {
      const chunk = missing.slice(i, i + ID_CHUNK);
      const rows = await internIds.of(chunk.length).all(this.db.dialect, executor, chunk);
      for (const row of rows) {
        const nid = Number(row.event_nid);
        out.set(row.event_id, nid);
        created.set(row.event_id, nid);
      }
    }
    // A number handed out in a transaction that rolls back does not exist: cache only after commit.
    const inThisTransaction = this.numberedInTransaction(tx);
    for (const [id, nid] of created) inThisTransaction.set(id, nid);
    tx.onCommit(() => {
      for (const [id, nid] of created) this.ids.remember(id, nid);
    });
    return out;
  }

  /**
   * Numbers every ID of a new event built here: `newEventId` cannot be known yet (it is the hash of
   * an event built just now), the others (its prev and auth events) usually are. On PostgreSQL the new
   * ID takes a number from a block drawn from the table's sequence and is inserted by a batchable write,
   * so that a message's whole transaction can go to the database as one statement
   * (pg-write-batching.ts); SQLite, where a statement costs no round trip, interns as for any ID.
   */
  async internNewEventIds(tx: Tx, newEventId: string, others: readonly string[]): Promise<Map<string, number>> {
    if (this.db.dialect !== "postgres") return this.internEventIds(tx, [newEventId, ...others]);
    const out = await this.internEventIds(tx, others.filter((id) => id !== newEventId));
    const nid = await this.nextPgEventNid(tx);
    await insertNewId.all(this.db.dialect, tx.db, [nid, newEventId]);
    out.set(newEventId, nid);
    this.numberedInTransaction(tx).set(newEventId, nid);
    tx.onCommit(() => this.ids.remember(newEventId, nid));
    return out;
  }

  /** Numbers drawn from event_ids' sequence and not handed out yet (PostgreSQL). */
  private readonly pgNidBlock: number[] = [];

  private async nextPgEventNid(tx: Tx): Promise<number> {
    // Drawn with the transaction's own connection: waiting for another one while holding it could
    // deadlock a busy pool. Numbers of a block left unused at shutdown are simply never used.
    if (this.pgNidBlock.length === 0) {
      const rows = await drawEventNids.all(this.db.dialect, tx.db, [PG_NID_BLOCK]);
      // Another transaction may have refilled the block while this one waited for its numbers.
      this.pgNidBlock.push(...rows.map((row) => Number(row.nid)));
    }
    return this.pgNidBlock.shift() as number;
  }

  /** Looks up existing event numbers (no insert). */
  async eventNids(eventIds: readonly string[], executor: Executor = this.db.kysely): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const id of eventIds) {
      const nid = this.ids.nid(id);
      if (nid !== undefined) out.set(id, nid);
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = await executor.selectFrom("event_ids").select(["event_id", "event_nid"]).where("event_id", "in", chunk).execute();
      for (const row of rows) {
        const nid = Number(row.event_nid);
        out.set(row.event_id, nid);
        this.ids.remember(row.event_id, nid);
      }
    }
    return out;
  }

  async eventIdsOf(nids: readonly number[], executor: Executor = this.db.kysely): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const missing: number[] = [];
    for (const nid of nids) {
      const id = this.ids.value(nid);
      if (id !== undefined) out.set(nid, id);
      else missing.push(nid);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = await executor.selectFrom("event_ids").select(["event_id", "event_nid"]).where("event_nid", "in", chunk).execute();
      for (const row of rows) {
        const nid = Number(row.event_nid);
        out.set(nid, row.event_id);
        this.ids.remember(row.event_id, nid);
      }
    }
    return out;
  }

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
