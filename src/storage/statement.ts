/**
 * Statements of the hot paths (sending an event, reading one), written once in SQL with `?`
 * placeholders and run as they are. Kysely's query builder costs several times what SQLite takes to
 * run a small insert (measured here: ~100 µs to build and run a 12-column insert, ~22 µs for the same
 * statement precompiled, ~15 µs for better-sqlite3 alone), and a send runs about ten of them.
 * The text must be plain SQL that both databases accept; `?` becomes `$n` on PostgreSQL.
 */
import { CompiledQuery } from "kysely";
import type { DialectName } from "./db.js";
import type { Executor } from "./executor.js";

export class Statement<Row = Record<string, unknown>> {
  private readonly texts: Record<DialectName, string>;

  constructor(text: string) {
    let n = 0;
    this.texts = { sqlite: text, postgres: text.replace(/\?/g, () => `$${++n}`) };
  }

  async all(dialect: DialectName, executor: Executor, params: readonly unknown[]): Promise<Row[]> {
    const result = await executor.executeQuery<Row>(CompiledQuery.raw(this.texts[dialect], params as unknown[]));
    return result.rows;
  }

  async first(dialect: DialectName, executor: Executor, params: readonly unknown[]): Promise<Row | undefined> {
    return (await this.all(dialect, executor, params))[0];
  }
}

/**
 * Statements whose text depends on how many values they carry (`IN (?, ?)` lists, multi-row
 * `VALUES`), made once per count and kept: counts repeat (one prev event, three or four auth events).
 */
export class StatementsByCount<Row = Record<string, unknown>> {
  private readonly made = new Map<number, Statement<Row>>();

  constructor(private readonly textFor: (count: number) => string) {}

  of(count: number): Statement<Row> {
    let statement = this.made.get(count);
    if (!statement) {
      statement = new Statement<Row>(this.textFor(count));
      // Unusual counts (a resolved fork with many extremities) are made afresh, not kept forever.
      if (count <= 32) this.made.set(count, statement);
    }
    return statement;
  }
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
