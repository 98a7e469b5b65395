/**
 * What push rules decided per event and user (`event_push_actions`), and what unread counts are
 * measured against: the user's read receipts (`receipts`, m.read and m.read.private) and where they
 * last sent an event (`push_sent_positions`). Also what the evaluation reads besides the rules: the
 * room's joined members and the ignore lists of those it would notify.
 */
import { sql } from "./kysely.js";
import type { PushAction } from "../protocol/push/types.js";
import type { Db, Executor } from "./db.js";
import { chunkSizes, ladderChunks, placeholderList, placeholderRows, Statement, StatementsByCount } from "./statement.js";

// The statements of the send path, precompiled (see statement.ts).
const PG_ACTIONS_PER_STATEMENT = 200;
const insertActionRows = new StatementsByCount(
  (n) =>
    `INSERT INTO event_push_actions_staging (event_nid, room_nid, user_id, thread_id, stream_ordering, notify, highlight, actions)
     VALUES ${placeholderRows(n, 8)} ON CONFLICT (room_nid, stream_ordering, user_id) DO NOTHING`,
  { batchAs: "event_push_actions_staging" },
);
/** The tables push actions live in: new ones staged, older ones moved (migration 035). Every reader reads both in one statement. */
const ACTION_TABLES = ["event_push_actions", "event_push_actions_staging"] as const;
const ACTION_COLUMNS = "event_nid, room_nid, user_id, thread_id, stream_ordering, notify, highlight, actions";
/** The receipts that mark what a user has read. */
export const READ_RECEIPT_TYPES = ["m.read", "m.read.private"] as const;

/**
 * Rooms' notifications per thread after what their users read, in one statement for many (user, room)
 * pairs: every woken long-poll asks this for the rooms with news, and the members one message wakes ask
 * it together (on PostgreSQL each statement is a round trip). Each thread is counted from the furthest
 * of the unthreaded read position and its own (a threaded receipt, or the user's own latest event in
 * it), as ReadPositions and unreadByThreadInRooms do across two reads for many rooms. The pairs drive
 * every join (CROSS JOIN keeps SQLite from scanning the push actions first), and the unthreaded position
 * bounds the index range of the push actions: only unread entries are read, not the user's history.
 *
 * Each pair also names the position it was counted up to before (`counted_to`, 0 for none): only the
 * entries after it are counted, and the answer carries what a caller needs to know whether adding them
 * to the earlier count is right (services/push/unread-count-cache.ts): the read positions the count
 * used ('position' rows), and whether a redaction since then may have removed counted entries
 * ('redaction' rows).
 */
const PAIRS_PER_COUNT = 100;
const unreadSinceInRooms = new StatementsByCount<{ kind: "count" | "position" | "redaction"; user_id: string; room_nid: number; up_to: number | null; counted_to: number | null; thread_id: string | null; n: number; h: number | null }>(
  (n) =>
    `WITH wanted (user_id, room_nid, up_to, counted_to) AS (VALUES ${new Array(n).fill("(CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))").join(", ")}),
     positions AS (
       SELECT w.user_id, w.room_nid, r.thread_id, r.event_stream_ordering AS pos
       FROM wanted w CROSS JOIN rooms ro CROSS JOIN receipts r
       WHERE ro.room_nid = w.room_nid AND r.room_id = ro.room_id AND r.receipt_type IN (${placeholderList(READ_RECEIPT_TYPES.length)}) AND r.user_id = w.user_id
       UNION ALL
       SELECT w.user_id, w.room_nid, p.thread_id, p.stream_ordering AS pos
       FROM wanted w CROSS JOIN push_sent_positions p
       WHERE p.user_id = w.user_id AND p.room_nid = w.room_nid
     ),
     per_thread AS (SELECT user_id, room_nid, thread_id, MAX(pos) AS pos FROM positions GROUP BY user_id, room_nid, thread_id),
     unthreaded AS (
       SELECT w.user_id, w.room_nid, w.up_to, w.counted_to, COALESCE(MAX(t.pos), 0) AS pos
       FROM wanted w LEFT JOIN per_thread t ON t.user_id = w.user_id AND t.room_nid = w.room_nid AND t.thread_id = ''
       GROUP BY w.user_id, w.room_nid, w.up_to, w.counted_to
     )
     ${ACTION_TABLES.map(
       (table) => `SELECT 'count' AS kind, u.user_id, u.room_nid, u.up_to, u.counted_to, a.thread_id, COUNT(*) AS n, SUM(a.highlight) AS h
     FROM unthreaded u
     CROSS JOIN ${table} a
     LEFT JOIN per_thread t ON t.user_id = u.user_id AND t.room_nid = u.room_nid AND t.thread_id = a.thread_id
     WHERE a.user_id = u.user_id AND a.room_nid = u.room_nid AND a.notify = 1 AND a.stream_ordering <= u.up_to
       AND a.stream_ordering > u.counted_to AND a.stream_ordering > u.pos AND a.stream_ordering > COALESCE(t.pos, 0)
     GROUP BY u.user_id, u.room_nid, u.up_to, u.counted_to, a.thread_id`,
     ).join("\n     UNION ALL\n     ")}
     UNION ALL
     SELECT 'position', user_id, room_nid, NULL, NULL, thread_id, pos, NULL FROM per_thread
     UNION ALL
     SELECT 'redaction', w.user_id, w.room_nid, w.up_to, w.counted_to, NULL, COUNT(*), NULL
     FROM wanted w CROSS JOIN events e
     WHERE w.counted_to > 0 AND e.room_nid = w.room_nid AND e.stream_ordering > w.counted_to AND e.stream_ordering <= w.up_to AND e.type = 'm.room.redaction'
     GROUP BY w.user_id, w.room_nid, w.up_to, w.counted_to`,
);
const ROOMS_PER_COUNT = 200;
const countsByThreadInManyRooms = new StatementsByCount<{ room_nid: number; thread_id: string; n: number; h: number | null }>(
  // VALUES columns are column1, column2 on both databases; the casts give PostgreSQL their types.
  (n) =>
    `WITH p (room_nid, from_pos) AS (VALUES ${new Array(n).fill("(CAST(? AS BIGINT), CAST(? AS BIGINT))").join(", ")}),
     wanted (user_id, up_to) AS (VALUES (CAST(? AS TEXT), CAST(? AS BIGINT)))
     ${ACTION_TABLES.map(
       (table) => `SELECT a.room_nid, a.thread_id, COUNT(*) AS n, SUM(a.highlight) AS h
     FROM wanted w CROSS JOIN p JOIN ${table} a ON a.room_nid = p.room_nid AND a.stream_ordering > p.from_pos
     WHERE a.user_id = w.user_id AND a.stream_ordering <= w.up_to AND a.notify = 1
     GROUP BY a.room_nid, a.thread_id`,
     ).join(" UNION ALL ")}`,
);
const THREADS_PER_COUNT = 200;
const countsInManyThreads = new StatementsByCount<{ room_nid: number; thread_id: string; n: number; h: number | null }>(
  (n) =>
    `WITH p (room_nid, thread_id, from_pos) AS (VALUES ${new Array(n).fill("(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT))").join(", ")}),
     wanted (user_id, up_to) AS (VALUES (CAST(? AS TEXT), CAST(? AS BIGINT)))
     ${ACTION_TABLES.map(
       (table) => `SELECT p.room_nid, p.thread_id, COUNT(*) AS n, SUM(a.highlight) AS h
     FROM wanted w CROSS JOIN p JOIN ${table} a ON a.room_nid = p.room_nid AND a.thread_id = p.thread_id AND a.stream_ordering > p.from_pos
     WHERE a.user_id = w.user_id AND a.stream_ordering <= w.up_to AND a.notify = 1
     GROUP BY p.room_nid, p.thread_id`,
     ).join(" UNION ALL ")}`,
);
const upsertSentPosition = new Statement(
  `INSERT INTO push_sent_positions (room_nid, user_id, thread_id, stream_ordering) VALUES (?, ?, ?, ?)
   ON CONFLICT (room_nid, user_id, thread_id) DO UPDATE SET stream_ordering = excluded.stream_ordering`,
  { batchAs: "push_sent_positions" },
);



const roomCountKey = (w: RoomCountWanted): string => `${w.roomNid} ${w.upTo} ${w.countedTo} ${w.userId}`;

/** Adds `count` to the list's entry for its thread (entries of a thread may come from both tables). */
function addCount(list: ThreadCount[], count: ThreadCount): void {
  const same = list.find((c) => c.threadId === count.threadId);
  if (same === undefined) list.push(count);
  else {
    same.notifications += count.notifications;
    same.highlights += count.highlights;
  }
}

/** How countsInThreads names a room's thread. */
export function threadCountKey(roomNid: number, threadId: string): string {
  return `${roomNid} ${threadId}`;
}

export interface NewPushAction {
  eventNid: number;
  roomNid: number;
  userId: string;
  threadId: string;
  streamOrdering: number;
  highlight: boolean;
  actions: readonly PushAction[];
}

export interface StoredPushAction {
  eventNid: number;
  roomNid: number;
  threadId: string;
  streamOrdering: number;
  highlight: boolean;
  actions: PushAction[];
}

/** A read position of a receipt (threadId "" for unthreaded). */
export interface ReceiptPosition {
  roomId: string;
  roomNid: number;
  threadId: string;
  streamOrdering: number;
}

export interface SentPosition {
  roomNid: number;
  threadId: string;
  streamOrdering: number;
}

/**
 * A user's room whose unread counts are wanted, counted up to an events position from after another
 * (`countedTo`; 0 counts everything unread).
 */
export interface RoomCountWanted {
  userId: string;
  roomNid: number;
  upTo: number;
  countedTo: number;
}

/** What unreadCountsSince found for one room. */
export interface RoomCountsSince {
  /** Per thread with entries in the range. */
  counts: ThreadCount[];
  /** The read positions the entries were counted after, sorted by thread (see samePositions). */
  positions: ReadPosition[];
  /** A redaction in the range may have removed entries counted before it. */
  redacted: boolean;
}

/** A user's read position in a room's thread ("" for unthreaded receipts): a receipt's, or their own latest event's. */
export interface ReadPosition {
  threadId: string;
  pos: number;
}

/** Whether two lists of read positions, each sorted by thread, are the same. */
export function samePositions(a: readonly ReadPosition[], b: readonly ReadPosition[]): boolean {
  return a.length === b.length && a.every((p, i) => p.threadId === b[i]?.threadId && p.pos === b[i]?.pos);
}

export interface ThreadCount {
  threadId: string;
  notifications: number;
  highlights: number;
}

export class PushActionStore {
  constructor(private readonly db: Db) {}

  /** Joined members of a room: the local ones by ID, and how many there are in all. */
  async joinedMembers(executor: Executor, roomNid: number): Promise<{ local: string[]; count: number }> {
    const local = await executor
      .selectFrom("room_memberships")
      .select("user_id")
      .where("room_nid", "=", roomNid)
      .where("membership", "=", "join")
      .where("is_local", "=", 1)
      .execute();
    const count = await executor
      .selectFrom("room_memberships")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("room_nid", "=", roomNid)
      .where("membership", "=", "join")
      .executeTakeFirst();
    return { local: local.map((r) => r.user_id), count: Number(count?.n ?? 0) };
  }

  async insertActions(executor: Executor, rows: readonly NewPushAction[]): Promise<void> {
    // SQLite: ladder-sized statements, each prepared once. PostgreSQL: as few statements as possible,
    // since the transaction's writes go as one statement holding one write per table (a second write
    // to the table costs a round trip, pg-write-batching.ts), and PostgreSQL prepares a text by itself
    // once it repeats (pg-prepared-statements.ts).
    const sizes = this.db.dialect === "sqlite" ? ladderChunks(rows.length) : chunkSizes(rows.length, PG_ACTIONS_PER_STATEMENT);
    let i = 0;
    for (const size of sizes) {
      const params: unknown[] = [];
      for (const r of rows.slice(i, i + size)) {
        params.push(r.eventNid, r.roomNid, r.userId, r.threadId, r.streamOrdering, 1, r.highlight ? 1 : 0, JSON.stringify(r.actions));
      }
      await insertActionRows.of(size).all(this.db.dialect, executor, params);
      i += size;
    }
  }

  /** Forgets the notifications of a redacted event. */
  async deleteActionsOf(executor: Executor, eventNid: number): Promise<void> {
    for (const table of ACTION_TABLES) await executor.deleteFrom(table).where("event_nid", "=", eventNid).execute();
  }

  /** How many push actions are staged now, at any position: sizes a move's steps (a scan of the small staging table, which a move reads whole anyway). */
  async countStaged(executor: Executor): Promise<number> {
    const row = await executor.selectFrom("event_push_actions_staging").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Moves the staged push actions up to stream position `upTo` into event_push_actions, ordered by
   * user so that each user's entries go to their range together. `upTo` must be a complete position
   * (every event up to it committed): no transaction still to commit can stage an entry at or below it.
   * Returns how many were moved.
   */
  async moveStaged(executor: Executor, upTo: number): Promise<number> {
    if (this.db.dialect === "postgres") {
      // One statement: the rows deleted are exactly the rows inserted, whatever commits meanwhile.
      const result = await sql`WITH moved AS (DELETE FROM event_push_actions_staging WHERE stream_ordering <= ${upTo} RETURNING ${sql.raw(ACTION_COLUMNS)})
        INSERT INTO event_push_actions (${sql.raw(ACTION_COLUMNS)}) SELECT ${sql.raw(ACTION_COLUMNS)} FROM moved ORDER BY user_id, room_nid, stream_ordering
        ON CONFLICT (event_nid, user_id) DO NOTHING`.execute(executor);
      return Number(result.numAffectedRows ?? 0n);
    }
    // SQLite runs one write transaction at a time: nothing else writes between the two statements.
    const result = await sql`INSERT INTO event_push_actions (${sql.raw(ACTION_COLUMNS)})
      SELECT ${sql.raw(ACTION_COLUMNS)} FROM event_push_actions_staging WHERE stream_ordering <= ${upTo} ORDER BY user_id, room_nid, stream_ordering
      ON CONFLICT (event_nid, user_id) DO NOTHING`.execute(executor);
    await sql`DELETE FROM event_push_actions_staging WHERE stream_ordering <= ${upTo}`.execute(executor);
    return Number(result.numAffectedRows ?? 0n);
  }

  /** Forgets an event's notifications if it is marked redacted (in this transaction or before). */
  async deleteActionsIfRedacted(executor: Executor, eventNid: number): Promise<void> {
    const row = await executor.selectFrom("events").select("redacted_by_nid").where("event_nid", "=", eventNid).executeTakeFirst();
    if (row && row.redacted_by_nid !== null) await this.deleteActionsOf(executor, eventNid);
  }

  async recordSent(executor: Executor, position: SentPosition & { userId: string }): Promise<void> {
    await upsertSentPosition.all(this.db.dialect, executor, [position.roomNid, position.userId, position.threadId, position.streamOrdering]);
  }

  /** The user's read receipts: the furthest of m.read and m.read.private per room and thread. */
  async receiptPositions(userId: string): Promise<ReceiptPosition[]> {
    const rows = await this.db.kysely
      .selectFrom("receipts")
      .innerJoin("rooms", "rooms.room_id", "receipts.room_id")
      .select(["receipts.room_id", "rooms.room_nid", "receipts.thread_id", (eb) => eb.fn.max("receipts.event_stream_ordering").as("pos")])
      .where("receipts.user_id", "=", userId)
      .where("receipts.receipt_type", "in", READ_RECEIPT_TYPES)
      .groupBy(["receipts.room_id", "rooms.room_nid", "receipts.thread_id"])
      .execute();
    return rows.map((r) => ({ roomId: r.room_id, roomNid: Number(r.room_nid), threadId: r.thread_id, streamOrdering: Number(r.pos) }));
  }

  /** Where the user last sent an event in each room and thread. */
  async sentPositions(userId: string): Promise<SentPosition[]> {
    const rows = await this.db.kysely.selectFrom("push_sent_positions").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({ roomNid: Number(r.room_nid), threadId: r.thread_id, streamOrdering: Number(r.stream_ordering) }));
  }

  /** Rooms where the user's read receipts moved in (after, upTo] of the receipts stream. */
  async roomsWithNewReceipts(userId: string, after: number, upTo: number): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom("receipts")
      .select("room_id")
      .distinct()
      .where("user_id", "=", userId)
      .where("receipt_type", "in", READ_RECEIPT_TYPES)
      .where("stream_id", ">", after)
      .where("stream_id", "<=", upTo)
      .execute();
    return rows.map((r) => r.room_id);
  }

  /**
   * Notifications per room and thread for many rooms at once, each room counted after its own
   * position and up to `upTo` (an initial sync asks this for every joined room).
   */
  async countsByThreadInRooms(userId: string, rooms: readonly { roomNid: number; after: number }[], upTo: number): Promise<Map<number, ThreadCount[]>> {
    const out = new Map<number, ThreadCount[]>();
    for (let i = 0; i < rooms.length; i += ROOMS_PER_COUNT) {
      const chunk = rooms.slice(i, i + ROOMS_PER_COUNT);
      const params: unknown[] = chunk.flatMap((r) => [r.roomNid, r.after]);
      params.push(userId, upTo);
      for (const row of await countsByThreadInManyRooms.of(chunk.length).all(this.db.dialect, this.db.kysely, params)) {
        const roomNid = Number(row.room_nid);
        let list = out.get(roomNid);
        if (!list) out.set(roomNid, (list = []));
        addCount(list, { threadId: row.thread_id, notifications: Number(row.n), highlights: Number(row.h ?? 0) });
      }
    }
    return out;
  }

  /**
   * Notifications in many threads (of many rooms) at once, each counted in (after, upTo]; every thread
   * asked for is in the answer, zero included. Keys are `threadCountKey(roomNid, threadId)`.
   */
  async countsInThreads(userId: string, threads: readonly { roomNid: number; threadId: string; after: number }[], upTo: number): Promise<Map<string, ThreadCount>> {
    const out = new Map<string, ThreadCount>();
    for (const t of threads) out.set(threadCountKey(t.roomNid, t.threadId), { threadId: t.threadId, notifications: 0, highlights: 0 });
    for (let i = 0; i < threads.length; i += THREADS_PER_COUNT) {
      const chunk = threads.slice(i, i + THREADS_PER_COUNT);
      const params: unknown[] = chunk.flatMap((t) => [t.roomNid, t.threadId, t.after]);
      params.push(userId, upTo);
      for (const row of await countsInManyThreads.of(chunk.length).all(this.db.dialect, this.db.kysely, params)) {
        // Each thread's entries may lie in both tables: one row each.
        const count = out.get(threadCountKey(Number(row.room_nid), row.thread_id)) as ThreadCount;
        count.notifications += Number(row.n);
        count.highlights += Number(row.h ?? 0);
      }
    }
    return out;
  }

  /**
   * Notifications per thread after each user's read positions in the room named with them, in
   * (countedTo, upTo] (see unreadSinceInRooms); the answer holds one for every one asked, in order.
   */
  async unreadCountsSince(wanted: readonly RoomCountWanted[]): Promise<RoomCountsSince[]> {
    const answers = new Map<string, RoomCountsSince>();
    const positions = new Map<string, ReadPosition[]>();
    // One asked twice (two devices of a user woken together) is sent once.
    const distinct = [...new Map(wanted.map((w) => [roomCountKey(w), w])).values()];
    for (let i = 0; i < distinct.length; i += PAIRS_PER_COUNT) {
      const chunk = distinct.slice(i, i + PAIRS_PER_COUNT);
      const params: unknown[] = chunk.flatMap((w) => [w.userId, w.roomNid, w.upTo, w.countedTo]);
      params.push(...READ_RECEIPT_TYPES);
      for (const r of await unreadSinceInRooms.of(chunk.length).all(this.db.dialect, this.db.kysely, params)) {
        const roomNid = Number(r.room_nid);
        if (r.kind === "position") {
          const key = `${roomNid} ${r.user_id}`;
          let list = positions.get(key);
          if (!list) positions.set(key, (list = []));
          list.push({ threadId: r.thread_id ?? "", pos: Number(r.n) });
          continue;
        }
        const key = roomCountKey({ userId: r.user_id, roomNid, upTo: Number(r.up_to), countedTo: Number(r.counted_to) });
        let answer = answers.get(key);
        if (!answer) answers.set(key, (answer = { counts: [], positions: [], redacted: false }));
        if (r.kind === "redaction") answer.redacted = true;
        else addCount(answer.counts, { threadId: r.thread_id ?? "", notifications: Number(r.n), highlights: Number(r.h ?? 0) });
      }
    }
    return wanted.map((w) => {
      const answer = answers.get(roomCountKey(w)) ?? { counts: [], positions: [], redacted: false };
      const read = positions.get(`${w.roomNid} ${w.userId}`) ?? [];
      read.sort((a, b) => (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0));
      return { ...answer, positions: read };
    });
  }

  /** The user's notifications before a stream position, newest first. */
  async notifications(userId: string, before: number, limit: number, onlyHighlight: boolean): Promise<StoredPushAction[]> {
    const highlight = onlyHighlight ? sql`AND highlight = 1` : sql``;
    // Both tables in one statement (a move between two would show an entry twice or not at all).
    const { rows } = await sql<{ event_nid: number; room_nid: number; thread_id: string; stream_ordering: number; highlight: number; actions: string }>`
      SELECT event_nid, room_nid, thread_id, stream_ordering, highlight, actions FROM (
        SELECT event_nid, room_nid, thread_id, stream_ordering, highlight, actions FROM event_push_actions
        WHERE user_id = ${userId} AND stream_ordering < ${before} AND notify = 1 ${highlight}
        ORDER BY stream_ordering DESC LIMIT ${limit}) AS moved
      UNION ALL
      SELECT event_nid, room_nid, thread_id, stream_ordering, highlight, actions FROM event_push_actions_staging
      WHERE user_id = ${userId} AND stream_ordering < ${before} AND notify = 1 ${highlight}
      ORDER BY stream_ordering DESC LIMIT ${limit}`.execute(this.db.kysely);
    return rows.map((r) => ({
      eventNid: Number(r.event_nid),
      roomNid: Number(r.room_nid),
      threadId: r.thread_id,
      streamOrdering: Number(r.stream_ordering),
      highlight: !!Number(r.highlight),
      actions: JSON.parse(r.actions) as PushAction[],
    }));
  }
}
