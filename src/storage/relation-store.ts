/**
 * Event relationships (client-server API "Forming relationships between events"): the children of an
 * event by `m.relates_to`, the data of bundled aggregations (threads, edits, references) and the
 * threads of a room. Relations are columns of `events`; a child counts only while it is a live event
 * of the parent's room (not an outlier, rejected, soft-failed or redacted: redacting a child breaks
 * the relationship).
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from "./kysely.js";
import type { Db, Executor } from "./db.js";

/** A point in a room's topological order (depth, stream ordering). */
export interface TopoPoint {
  depth: number;
  stream: number;
}

export interface RelationQuery {
  roomNid: number;
  parentId: string;
  relType?: string | undefined;
  eventType?: string | undefined;
  /** Leave out children with these relation types (edits of a redacted parent). */
  excludeRelTypes?: readonly string[];
  dir: "b" | "f";
  /** Exclusive start of the page. */
  from?: TopoPoint | undefined;
  /** Inclusive end of the page. */
  to?: TopoPoint | undefined;
  limit: number;
  /** Follow relations of relations up to this many levels (1: direct children only). */
  levels: number;
}

export interface RelatedRow extends TopoPoint {
  nid: number;
}

export interface ThreadRootRow {
  threadId: string;
  rootNid: number;
  latest: TopoPoint;
}

export interface EditCandidate {
  nid: number;
  eventId: string;
  relatesToId: string;
  sender: string;
  type: string;
  originServerTs: number;
}

const THREAD = "m.thread";

/** Conditions that make an `events` row (aliased `alias`) a live child. */
function live(alias: string): RawBuilder<unknown> {
  const a = sql.ref(alias);
  return sql`${a}.stream_ordering IS NOT NULL AND ${a}.rejected_reason IS NULL AND ${a}.soft_failed = 0 AND ${a}.redacted_by_nid IS NULL`;
}

export class RelationStore {
  constructor(private readonly db: Db) {}

  /** Children of an event (optionally recursively), ordered topologically in the direction of travel. */
  async relatingEvents(query: RelationQuery): Promise<RelatedRow[]> {
    const filters: RawBuilder<unknown>[] = [sql`e.room_nid = ${query.roomNid}`, live("e")];
    if (query.relType !== undefined) filters.push(sql`e.rel_type = ${query.relType}`);
    if (query.eventType !== undefined) filters.push(sql`e.type = ${query.eventType}`);
    for (const relType of query.excludeRelTypes ?? []) filters.push(sql`e.rel_type <> ${relType}`);
    const before = query.dir === "b";
    if (query.from) filters.push(before ? sql`(e.depth < ${query.from.depth} OR (e.depth = ${query.from.depth} AND e.stream_ordering < ${query.from.stream}))` : sql`(e.depth > ${query.from.depth} OR (e.depth = ${query.from.depth} AND e.stream_ordering > ${query.from.stream}))`);
    if (query.to) filters.push(before ? sql`(e.depth > ${query.to.depth} OR (e.depth = ${query.to.depth} AND e.stream_ordering >= ${query.to.stream}))` : sql`(e.depth < ${query.to.depth} OR (e.depth = ${query.to.depth} AND e.stream_ordering <= ${query.to.stream}))`);
    const order = before ? sql`DESC` : sql`ASC`;
    const where = sql.join(filters, sql` AND `);
    let statement: RawBuilder<{ event_nid: number; depth: number; stream_ordering: number }>;
    if (query.levels <= 1) {
      statement = sql`SELECT e.event_nid, e.depth, e.stream_ordering FROM events e
        WHERE e.relates_to_id = ${query.parentId} AND ${where}
        ORDER BY e.depth ${order}, e.stream_ordering ${order} LIMIT ${query.limit}`;
    } else {
      // Each level joins the children of the previous one; a redacted or foreign event ends its branch.
      statement = sql`WITH RECURSIVE related(event_nid, level) AS (
          SELECT c.event_nid, 1 FROM events c
          WHERE c.relates_to_id = ${query.parentId} AND c.room_nid = ${query.roomNid} AND ${live("c")}
          UNION
          SELECT c.event_nid, r.level + 1 FROM related r
          JOIN event_ids i ON i.event_nid = r.event_nid
          JOIN events c ON c.relates_to_id = i.event_id
          WHERE r.level < ${query.levels} AND c.room_nid = ${query.roomNid} AND ${live("c")}
        )
        SELECT e.event_nid, e.depth, e.stream_ordering FROM events e
        WHERE e.event_nid IN (SELECT event_nid FROM related) AND ${where}
        ORDER BY e.depth ${order}, e.stream_ordering ${order} LIMIT ${query.limit}`;
    }
    const rows = (await statement.execute(this.db.kysely)).rows;
    return rows.map((r) => ({ nid: Number(r.event_nid), depth: Number(r.depth), stream: Number(r.stream_ordering) }));
  }

  /** For thread roots among `rootIds`: the number of live m.thread children and the latest one. */
  async threadSummaries(roomNid: number, rootIds: readonly string[]): Promise<Map<string, { count: number; latestNid: number }>> {
    const out = new Map<string, { count: number; latestNid: number }>();
    if (rootIds.length === 0) return out;
    const threads = await this.db.kysely
      .selectFrom("threads")
      .select(["thread_id", "latest_event_nid"])
      .where("room_nid", "=", roomNid)
      .where("thread_id", "in", rootIds)
      .execute();
    if (threads.length === 0) return out;
    const counts = await this.db.kysely
      .selectFrom("events as e")
      .select(["e.relates_to_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("e.room_nid", "=", roomNid)
      .where("e.rel_type", "=", THREAD)
      .where("e.relates_to_id", "in", threads.map((t) => t.thread_id))
      .where(live("e") as Expression<SqlBool>)
      .groupBy("e.relates_to_id")
      .execute();
    const byRoot = new Map(counts.map((c) => [c.relates_to_id as string, Number(c.n)]));
    for (const t of threads) {
      const count = byRoot.get(t.thread_id) ?? 0;
      if (count > 0) out.set(t.thread_id, { count, latestNid: Number(t.latest_event_nid) });
    }
    return out;
  }

  /** The threads among `rootIds` in which `userId` sent a live m.thread event. */
  async threadsParticipated(roomNid: number, rootIds: readonly string[], userId: string): Promise<Set<string>> {
    if (rootIds.length === 0) return new Set();
    const rows = await this.db.kysely
      .selectFrom("events as e")
      .select("e.relates_to_id")
      .distinct()
      .where("e.room_nid", "=", roomNid)
      .where("e.rel_type", "=", THREAD)
      .where("e.relates_to_id", "in", rootIds)
      .where("e.sender", "=", userId)
      .where(live("e") as Expression<SqlBool>)
      .execute();
    return new Set(rows.map((r) => r.relates_to_id as string));
  }

  /** Live m.replace children of the given events, with what edit validity is judged on. */
  async editCandidates(roomNid: number, originalIds: readonly string[]): Promise<EditCandidate[]> {
    if (originalIds.length === 0) return [];
    const rows = await this.db.kysely
      .selectFrom("events as e")
      .innerJoin("event_ids as i", "i.event_nid", "e.event_nid")
      .select(["e.event_nid", "i.event_id", "e.relates_to_id", "e.sender", "e.type", "e.origin_server_ts"])
      .where("e.room_nid", "=", roomNid)
      .where("e.rel_type", "=", "m.replace")
      .where("e.relates_to_id", "in", originalIds)
      .where(live("e") as Expression<SqlBool>)
      .execute();
    return rows.map((r) => ({
      nid: Number(r.event_nid),
      eventId: r.event_id,
      relatesToId: r.relates_to_id as string,
      sender: r.sender,
      type: r.type,
      originServerTs: Number(r.origin_server_ts),
    }));
  }

  /** Live m.reference children of the given events, oldest first. */
  async references(roomNid: number, parentIds: readonly string[]): Promise<{ parentId: string; eventId: string }[]> {
    if (parentIds.length === 0) return [];
    const rows = await this.db.kysely
      .selectFrom("events as e")
      .innerJoin("event_ids as i", "i.event_nid", "e.event_nid")
      .select(["e.relates_to_id", "i.event_id"])
      .where("e.room_nid", "=", roomNid)
      .where("e.rel_type", "=", "m.reference")
      .where("e.relates_to_id", "in", parentIds)
      .where(live("e") as Expression<SqlBool>)
      .orderBy("e.depth")
      .orderBy("e.stream_ordering")
      .execute();
    return rows.map((r) => ({ parentId: r.relates_to_id as string, eventId: r.event_id }));
  }

  /**
   * Threads of a room whose root is known, newest latest event first, strictly before `before`;
   * with `participant`, only threads whose root they sent or in which they sent an m.thread event.
   */
  async threadRoots(roomNid: number, options: { before?: TopoPoint | undefined; limit: number; participant?: string | undefined }): Promise<ThreadRootRow[]> {
    let query = this.db.kysely
      .selectFrom("threads as t")
      .innerJoin("event_ids as i", "i.event_id", "t.thread_id")
      .innerJoin("events as r", (join) => join.onRef("r.event_nid", "=", "i.event_nid").onRef("r.room_nid", "=", "t.room_nid"))
      .select(["t.thread_id", "r.event_nid", "t.latest_depth", "t.latest_stream"])
      .where("t.room_nid", "=", roomNid)
      .where("r.stream_ordering", "is not", null)
      .where("r.rejected_reason", "is", null);
    const before = options.before;
    if (before) {
      query = query.where((eb) =>
        eb.or([eb("t.latest_depth", "<", before.depth), eb.and([eb("t.latest_depth", "=", before.depth), eb("t.latest_stream", "<", before.stream)])]),
      );
    }
    const participant = options.participant;
    if (participant !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb("r.sender", "=", participant),
          eb.exists(
            eb
              .selectFrom("events as c")
              .select("c.event_nid")
              .whereRef("c.relates_to_id", "=", "t.thread_id")
              .whereRef("c.room_nid", "=", "t.room_nid")
              .where("c.rel_type", "=", THREAD)
              .where("c.sender", "=", participant)
              .where(live("c") as Expression<SqlBool>),
          ),
        ]),
      );
    }
    const rows = await query.orderBy("t.latest_depth", "desc").orderBy("t.latest_stream", "desc").limit(options.limit).execute();
    return rows.map((r) => ({ threadId: r.thread_id, rootNid: Number(r.event_nid), latest: { depth: Number(r.latest_depth), stream: Number(r.latest_stream) } }));
  }

  /** Records a new m.thread event as its thread's latest when it is newer than the current one. */
  async noteThreadEvent(executor: Executor, roomNid: number, threadId: string, eventNid: number, at: TopoPoint): Promise<void> {
    await executor
      .insertInto("threads")
      .values({ room_nid: roomNid, thread_id: threadId, latest_event_nid: eventNid, latest_depth: at.depth, latest_stream: at.stream })
      .onConflict((oc) =>
        oc
          .columns(["room_nid", "thread_id"])
          .doUpdateSet({
            latest_event_nid: (eb) => eb.ref("excluded.latest_event_nid"),
            latest_depth: (eb) => eb.ref("excluded.latest_depth"),
            latest_stream: (eb) => eb.ref("excluded.latest_stream"),
          })
          .where(
            sql<SqlBool>`threads.latest_depth < excluded.latest_depth OR (threads.latest_depth = excluded.latest_depth AND threads.latest_stream < excluded.latest_stream)`,
          ),
      )
      .execute();
  }

  /** Recomputes a thread's latest event (after one of its events was redacted); drops an empty thread. */
  async refreshThread(executor: Executor, roomNid: number, threadId: string): Promise<void> {
    const latest = await executor
      .selectFrom("events as e")
      .select(["e.event_nid", "e.depth", "e.stream_ordering"])
      .where("e.room_nid", "=", roomNid)
      .where("e.relates_to_id", "=", threadId)
      .where("e.rel_type", "=", THREAD)
      .where(live("e") as Expression<SqlBool>)
      .orderBy("e.depth", "desc")
      .orderBy("e.stream_ordering", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!latest) {
      await executor.deleteFrom("threads").where("room_nid", "=", roomNid).where("thread_id", "=", threadId).execute();
      return;
    }
    await executor
      .updateTable("threads")
      .set({ latest_event_nid: Number(latest.event_nid), latest_depth: Number(latest.depth), latest_stream: Number(latest.stream_ordering) })
      .where("room_nid", "=", roomNid)
      .where("thread_id", "=", threadId)
      .execute();
  }

  /** The thread of the m.thread event `eventId` if `redactionNid` has just redacted it. */
  async threadRedactedBy(executor: Executor, eventId: string, redactionNid: number): Promise<{ roomNid: number; threadId: string } | undefined> {
    const row = await executor
      .selectFrom("events as e")
      .innerJoin("event_ids as i", "i.event_nid", "e.event_nid")
      .select(["e.room_nid", "e.relates_to_id"])
      .where("i.event_id", "=", eventId)
      .where("e.redacted_by_nid", "=", redactionNid)
      .where("e.rel_type", "=", THREAD)
      .executeTakeFirst();
    return row && row.relates_to_id !== null ? { roomNid: Number(row.room_nid), threadId: row.relates_to_id } : undefined;
  }

  /** Whether an event is marked redacted (a redaction may arrive before its target). */
  async isRedacted(executor: Executor, eventNid: number): Promise<boolean> {
    const row = await executor.selectFrom("events").select("redacted_by_nid").where("event_nid", "=", eventNid).executeTakeFirst();
    return row !== undefined && row.redacted_by_nid !== null;
  }
}
