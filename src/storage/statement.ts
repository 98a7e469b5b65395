/**
 * Statements of the hot paths (sending an event, reading one), written once in SQL with `?`
 * placeholders and run as they are. Kysely's query builder costs several times what SQLite takes to
 * run a small insert (measured here: ~100 µs to build and run a 12-column insert, ~22 µs for the same
 * statement precompiled, ~15 µs for better-sqlite3 alone), and a send runs about ten of them.
 * The text must be plain SQL that both databases accept; `?` becomes `$n` on PostgreSQL.
 */
import { CompiledQuery, type QueryResult } from "./kysely.js";
import type { DialectName } from "./db.js";
import { BATCH_MARKER } from "./pg-write-batching.js";
import type BetterSqlite3 from "better-sqlite3";
import { directConnection, refuseIfTransactionEnded, type SqliteConnection } from "./sqlite-direct.js";

/** What runs a statement: the database, a transaction (an `Executor`), or a migration's database. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

export interface StatementOptions {
  /**
   * A write whose result nobody reads (no RETURNING, no affected-row count) and which reads no other
   * table, named by the one table it writes: inside a transaction on PostgreSQL it may be sent later,
   * together with other such writes, in one round trip (pg-write-batching.ts). Its `all` answers [].
   */
  batchAs?: string;
}

export class Statement<Row = Record<string, unknown>> {
  private readonly texts: Record<DialectName, string>;
  /** This statement prepared on each SQLite connection it ran on directly (sqlite-direct.ts). */
  private readonly prepared = new WeakMap<SqliteConnection, BetterSqlite3.Statement>();

  constructor(text: string, options: StatementOptions = {}) {
    let n = 0;
    const postgres = text.replace(/\?/g, () => `$${++n}`);
    this.texts = { sqlite: text, postgres: options.batchAs === undefined ? postgres : `${BATCH_MARKER}${options.batchAs}*/ ${postgres}` };
  }

  async all(dialect: DialectName, executor: QueryRunner, params: readonly unknown[]): Promise<Row[]> {
    if (dialect === "sqlite") {
      const connection = directConnection(executor);
      if (connection !== undefined) return this.runOn(connection, params);
      // A group-commit round's executor holds the connection only until its commit (group-commit.ts).
      refuseIfTransactionEnded(executor);
    }
    const result = await executor.executeQuery<Row>(CompiledQuery.raw(this.texts[dialect], params as unknown[]));
    return result.rows;
  }

  private runOn(connection: SqliteConnection, params: readonly unknown[]): Row[] {
    let statement = this.prepared.get(connection);
    if (statement === undefined) {
      statement = connection.prepare(this.texts.sqlite);
      this.prepared.set(connection, statement);
    }
    if (statement.reader) return statement.all(params) as Row[];
    statement.run(params);
    return [];
  }

  async first(dialect: DialectName, executor: QueryRunner, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.all(dialect, executor, params))[0];
  }
}

/**
 * Statements whose text depends on how many values they carry (`IN (?, ?)` lists, multi-row
 * `VALUES`), made once per count and kept: counts repeat (one prev event, three or four auth events).
 */
export class StatementsByCount<Row = Record<string, unknown>> {
  private readonly made = new Map<number, Statement<Row>>();

  constructor(
    private readonly textFor: (count: number) => string,
    private readonly options: StatementOptions = {},
  ) {}

  of(count: number): Statement<Row> {
    let statement = this.made.get(count);
    if (!statement) {
      statement = new Statement<Row>(this.textFor(count), this.options);
      // Unusual counts (a resolved fork with many extremities) are made afresh, not kept forever; the
      // ladder's sizes (ladderChunks, paddedToLadder) are what callers of large counts use, and kept.
      if (count <= 32 || (LADDER as readonly number[]).includes(count)) this.made.set(count, statement);
    }
    return statement;
  }
}

/** The chunk sizes `ladderChunks` uses, largest first. */
export const LADDER = [128, 32, 8, 1] as const;

/**
 * `total` split into chunks whose sizes come from LADDER, largest first (299: 128, 128, 32, 8, 1, 1,
 * 1). A multi-row statement run in such chunks exists in four sizes whatever the total, each prepared
 * once on SQLite, where a statement of any other size (a message's push actions in a room of 300) would
 * be parsed and prepared afresh every time; the few extra statements cost far less than that.
 */
export function ladderChunks(total: number): number[] {
  const sizes: number[] = [];
  let left = total;
  for (const size of LADDER) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** `total` in chunks of `max`, the last one shorter. */
export function chunkSizes(total: number, max: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= max) sizes.push(Math.min(left, max));
  return sizes;
}

/**
 * `list` made as long as the smallest LADDER size that holds it (at most LADDER[0] items), by repeating
 * its last item: for `IN (...)` lists, where a repeated value changes nothing, so that a statement
 * exists in four sizes and each is prepared once.
 */
export function paddedToLadder<T>(list: readonly T[]): T[] {
  if (list.length === 0 || list.length > LADDER[0]) throw new Error(`paddedToLadder takes 1 to ${LADDER[0]} items, not ${list.length}`);
  const size = [...LADDER].reverse().find((s) => s >= list.length) as number;
  const out = [...list];
  while (out.length < size) out.push(list[list.length - 1] as T);
  return out;
}

/** `(?, ?), (?, ?)`: `rows` groups of `columns` placeholders, for multi-row VALUES. */
export function placeholderRows(rows: number, columns: number): string {
  const row = `(${new Array(columns).fill("?").join(", ")})`;
  return new Array(rows).fill(row).join(", ");
}

/** `?, ?, ?`: a list of `count` placeholders, for IN. */
export function placeholderList(count: number): string {
  return new Array(count).fill("?").join(", ");
}
