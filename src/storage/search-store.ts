/**
 * The full-text search index (migration 015): events are added and removed in the persist
 * transaction; searches run FTS5 (ranked by bm25) on SQLite and tsquery against a GIN-indexed
 * tsvector (ranked by ts_rank_cd) on PostgreSQL. Both rank higher-is-better. Redacted events never
 * match, whether or not their row was removed yet.
 */
import { sql, type RawBuilder } from "./kysely.js";
import type { Db, Executor } from "./db.js";
import { deleteSearchRow, indexStoredEvents, writeSearchRows, type SearchRow } from "./search-index-sql.js";
import { toFts5Query, toTsQuery, type SearchQuery } from "./search-text.js";

export type SearchOrder = "rank" | "recent";

/** Where a page starts: strictly after this result in the order. */
export type SearchPosition = { rank: number; stream: number } | { stream: number };

export interface SearchCriteria {
  roomNids: readonly number[];
  /**
   * Rooms the user left (or was banned from): nothing after this stream position there is theirs to
   * see, so it is neither fetched nor counted.
   */
  roomEnds?: ReadonlyMap<number, number> | undefined;
  query: SearchQuery;
  keys: readonly string[];
  /** Only events of this sender (paging within a sender group). */
  sender?: string | undefined;
}

export interface SearchHit {
  eventNid: number;
  roomNid: number;
  streamOrdering: number;
  rank: number;
}

export class SearchStore {
  constructor(private readonly db: Db) {}

  /** Adds an event's text to the index (inside the persist transaction). */
  async index(executor: Executor, row: SearchRow): Promise<void> {
    await writeSearchRows(executor, this.db.dialect, [row]);
  }

  /** Removes an event from the index (it was redacted). */
  async remove(executor: Executor, eventNid: number): Promise<void> {
    await deleteSearchRow(executor, this.db.dialect, eventNid);
  }

  /** Removes an event from the index if it has been marked redacted (in this transaction or before). */
  async removeIfRedacted(executor: Executor, eventNid: number): Promise<void> {
    const row = await executor.selectFrom("events").select("redacted_by_nid").where("event_nid", "=", eventNid).executeTakeFirst();
    if (row && row.redacted_by_nid !== null) await this.remove(executor, eventNid);
  }

  /**
   * Indexes rows written after their events committed (search-indexer.ts), in one transaction, leaving
   * out events redacted in the meantime and events indexed already (a rebuilt index), and records that
   * events built here are indexed up to `indexedUpTo` (an event number).
   */
  async indexLate(rows: readonly SearchRow[], indexedUpTo: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const skip = new Set<number>();
      const nids = rows.map((row) => row.eventNid);
      for (let i = 0; i < nids.length; i += 500) {
        const chunk = nids.slice(i, i + 500);
        const redacted = await tx.db.selectFrom("events").select("event_nid").where("event_nid", "in", chunk).where("redacted_by_nid", "is not", null).execute();
        const indexed = await tx.db.selectFrom("event_search").select("event_nid").where("event_nid", "in", chunk).execute();
        for (const row of [...redacted, ...indexed]) skip.add(Number(row.event_nid));
      }
      await writeSearchRows(
        tx.db,
        this.db.dialect,
        rows.filter((row) => !skip.has(row.eventNid)),
      );
      await tx.db.updateTable("search_index_progress").set({ event_nid: indexedUpTo }).where("id", "=", 0).where("event_nid", "<", indexedUpTo).execute();
    });
  }

  /**
   * At start: indexes the searchable events after the recorded progress that have no index row (what a
   * crash left out, search-indexer.ts) and moves the progress to the newest event; returns how many.
   */
  async catchUp(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const progress = await tx.db.selectFrom("search_index_progress").select("event_nid").where("id", "=", 0).executeTakeFirst();
      const written = await indexStoredEvents(tx.db, this.db.dialect, Number(progress?.event_nid ?? 0));
      const newest = await tx.db.selectFrom("events").select((eb) => eb.fn.max("event_nid").as("nid")).executeTakeFirst();
      await tx.db.updateTable("search_index_progress").set({ event_nid: Number(newest?.nid ?? 0) }).where("id", "=", 0).execute();
      return written;
    });
  }

  /** One page of matches in the given order, after `after` when paging. */
  async search(criteria: SearchCriteria, order: SearchOrder, limit: number, after?: SearchPosition): Promise<SearchHit[]> {
    if (!this.searchable(criteria)) return [];
    let page = sql``;
    if (after && "rank" in after) page = sql`WHERE (rank < ${after.rank} OR (rank = ${after.rank} AND stream_ordering < ${after.stream}))`;
    else if (after) page = sql`WHERE stream_ordering < ${after.stream}`;
    const orderBy = order === "rank" ? sql`rank DESC, stream_ordering DESC` : sql`stream_ordering DESC`;
    const { rows } = await sql<{ event_nid: number; room_nid: number; stream_ordering: number; rank: number }>`
      SELECT event_nid, room_nid, stream_ordering, rank FROM (${this.matches(criteria)}) AS hits
      ${page} ORDER BY ${orderBy} LIMIT ${limit}`.execute(this.db.kysely);
    return rows.map((r) => ({ eventNid: Number(r.event_nid), roomNid: Number(r.room_nid), streamOrdering: Number(r.stream_ordering), rank: Number(r.rank) }));
  }

  /** How many indexed events match (before visibility rules: the spec allows an estimate). */
  async count(criteria: SearchCriteria): Promise<number> {
    if (!this.searchable(criteria)) return 0;
    const { rows } = await sql<{ n: number | string }>`SELECT count(*) AS n FROM (${this.matches(criteria)}) AS hits`.execute(this.db.kysely);
    return Number(rows[0]?.n ?? 0);
  }

  private searchable(criteria: SearchCriteria): boolean {
    return criteria.roomNids.length > 0 && criteria.keys.length > 0 && criteria.query.groups.length > 0;
  }

  /** The searched rooms, each left room only up to the user's leave. */
  private roomCondition(criteria: SearchCriteria): RawBuilder<unknown> {
    const ends = criteria.roomEnds ?? new Map<number, number>();
    const open = criteria.roomNids.filter((n) => !ends.has(n));
    const bounded = [...ends].filter(([nid]) => criteria.roomNids.includes(nid));
    const parts = bounded.map(([nid, end]) => sql`(s.room_nid = ${nid} AND s.stream_ordering <= ${end})`);
    if (open.length > 0) parts.unshift(sql`s.room_nid IN (${sql.join(open.map((n) => sql`${n}`))})`);
    return sql`(${sql.join(parts, sql` OR `)})`;
  }

  /** Every match with its rank, as a subquery. */
  private matches(criteria: SearchCriteria): RawBuilder<unknown> {
    const rooms = this.roomCondition(criteria);
    const keys = sql.join(criteria.keys.map((k) => sql`${k}`));
    const sender = criteria.sender !== undefined ? sql`AND s.sender = ${criteria.sender}` : sql``;
    if (this.db.dialect === "sqlite") {
      return sql`SELECT s.event_nid, s.room_nid, s.stream_ordering, -bm25(event_search_fts) AS rank
        FROM event_search_fts
        JOIN event_search s ON s.event_nid = event_search_fts.rowid
        JOIN events e ON e.event_nid = s.event_nid
        WHERE event_search_fts MATCH ${toFts5Query(criteria.query)}
          AND ${rooms} AND s.key IN (${keys}) ${sender} AND e.redacted_by_nid IS NULL`;
    }
    return sql`SELECT s.event_nid, s.room_nid, s.stream_ordering, ts_rank_cd(s.vector, q.query)::float8 AS rank
      FROM event_search s
      CROSS JOIN to_tsquery('english', ${toTsQuery(criteria.query)}) AS q(query)
      JOIN events e ON e.event_nid = s.event_nid
      WHERE s.vector @@ q.query
        AND ${rooms} AND s.key IN (${keys}) ${sender} AND e.redacted_by_nid IS NULL`;
  }
}
