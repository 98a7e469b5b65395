/**
 * Allocates positions on one stream (room events, account data, receipts, ...) and tells how far the
 * stream is complete. Transactions may commit out of allocation order (several rooms persist at once on
 * PostgreSQL); a reader must never see position N before N-1 is committed or rolled back, or it would
 * skip N-1 for good. `current` is therefore the highest position below which nothing is still in flight.
 *
 * Positions live in this process: one writer process per stream (ARCHITECTURE.md "Scale"); other
 * processes learn positions through the notifier.
 */
import { sql } from "./kysely.js";
import type { Executor, Tx } from "./db.js";

export class StreamIdGenerator {
  private last: number;
  private completeUpTo: number;
  private readonly inFlight = new Set<number>();

  constructor(start: number) {
    this.last = start;
    this.completeUpTo = start;
  }

  /** Starts after the largest value of `column` in `table` (0 for an empty table). */
  static async fromTable(db: Executor, table: string, column: string): Promise<StreamIdGenerator> {
    return StreamIdGenerator.fromTables(db, [[table, column]]);
  }

  /** A stream whose positions are recorded in several tables: it goes on from the highest of them. */
  static async fromTables(db: Executor, sources: readonly (readonly [table: string, column: string])[]): Promise<StreamIdGenerator> {
    let highest = 0;
    for (const [table, column] of sources) {
      const row = await sql<{ max: number | null }>`SELECT MAX(${sql.ref(column)}) AS max FROM ${sql.table(table)}`.execute(db);
      highest = Math.max(highest, Number(row.rows[0]?.max ?? 0));
    }
    return new StreamIdGenerator(highest);
  }

  /** The highest position such that every position up to it is committed or abandoned. */
  get current(): number {
    return this.completeUpTo;
  }

  /** Allocates the next position inside `tx`; it is released when the transaction ends either way. */
  allocate(tx: Tx): number {
    const id = this.allocateDetached();
    tx.onFinally(() => this.release(id));
    return id;
  }

  /** Allocates a position whose release the caller manages (work outside a database transaction). */
  allocateDetached(): number {
    const id = ++this.last;
    this.inFlight.add(id);
    return id;
  }

  release(id: number): void {
    this.inFlight.delete(id);
    let next = this.completeUpTo + 1;
    while (next <= this.last && !this.inFlight.has(next)) {
      this.completeUpTo = next;
      next++;
    }
  }
}
