/**
 * Events' numbers: every event ID the server knows, stored or only cited, has a number (`event_ids`)
 * that the other tables use instead of the ID. Numbers are cached both ways once committed.
 */
import type { Db, Executor, Tx } from "./db.js";
import { InternCache } from "./id-interner.js";
import { placeholderRows, Statement, StatementsByCount } from "./statement.js";

// The statements of the send path, precompiled (see statement.ts).
const internIds = new StatementsByCount<{ event_id: string; event_nid: number }>(
  // The no-op update makes a conflicting (known) ID return its number in the same statement.
  (n) => `INSERT INTO event_ids (event_id) VALUES ${placeholderRows(n, 1)} ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id RETURNING event_id, event_nid`,
);
// PostgreSQL only (internNewEventIds): numbers for new IDs, a block per round trip, and the insert of
// an ID with its number, which needs no answer and so can ride in the transaction's batch.
const PG_NID_BLOCK = 100;
const drawEventNids = new Statement<{ nid: number }>(`SELECT nextval(pg_get_serial_sequence('event_ids', 'event_nid')) AS nid FROM generate_series(1, CAST(? AS INTEGER))`);
const insertNewId = new Statement(`INSERT INTO event_ids (event_nid, event_id) VALUES (?, ?)`, { batchAs: "event_ids" });

/** IDs per statement where a list of IDs may be long. */
export const ID_CHUNK = 500;

export class EventNumbers {
  protected readonly ids = new InternCache(50_000);
  /**
   * Numbers given by a transaction that has not committed yet, by transaction: a chain of events
   * persisted together cites the one before it, numbered a moment ago in the same transaction.
   */
  private readonly numberedIn = new WeakMap<Tx, Map<string, number>>();
  /** Numbers drawn from event_ids' sequence and not handed out yet (PostgreSQL). */
  private readonly pgNidBlock: number[] = [];

  constructor(protected readonly db: Db) {}

  /** Numbers for event IDs, creating the missing ones (cached once the transaction commits). */
  async internEventIds(tx: Tx, eventIds: readonly string[]): Promise<Map<string, number>> {
    const executor = tx.db;
    const out = new Map<string, number>();
    const missingSet = new Set<string>();
    const numberedHere = this.numberedIn.get(tx);
    for (const id of eventIds) {
      const nid = this.ids.nid(id) ?? numberedHere?.get(id);
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
    this.numbered(tx, created);
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
    this.numbered(tx, new Map([[newEventId, nid]]));
    return out;
  }

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
    return this.ids.nidsOf(eventIds, async (chunk) => {
      const rows = await executor.selectFrom("event_ids").select(["event_id", "event_nid"]).where("event_id", "in", chunk).execute();
      return rows.map((row) => [row.event_id, Number(row.event_nid)] as const);
    });
  }

  async eventIdsOf(nids: readonly number[], executor: Executor = this.db.kysely): Promise<Map<number, string>> {
    return this.ids.valuesOf(nids, async (chunk) => {
      const rows = await executor.selectFrom("event_ids").select(["event_id", "event_nid"]).where("event_nid", "in", chunk).execute();
      return rows.map((row) => [row.event_id, Number(row.event_nid)] as const);
    });
  }

  /**
   * Numbers `tx` gave: known to the rest of `tx` at once, to everyone once it commits (a number handed
   * out in a transaction that rolls back does not exist).
   */
  private numbered(tx: Tx, given: ReadonlyMap<string, number>): void {
    let here = this.numberedIn.get(tx);
    if (!here) this.numberedIn.set(tx, (here = new Map()));
    for (const [id, nid] of given) here.set(id, nid);
    tx.onCommit(() => {
      for (const [id, nid] of given) this.ids.remember(id, nid);
    });
  }
}
