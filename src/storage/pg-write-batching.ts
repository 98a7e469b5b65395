/**
 * Fewer round trips to PostgreSQL inside a transaction. Persisting one message writes eight tables
 * (the event, its edges, the forward extremities, the transaction ID, the search index, push actions
 * and positions); sent one by one, each insert waits a round trip (~0.1 ms here, far more under load)
 * while the database does microseconds of work. Writes whose results nobody reads are marked by
 * their statement (`Statement` with `batchAs`, see statement.ts); inside a transaction this pool's
 * clients hold them back and send them together, as one statement of data-modifying WITH clauses,
 * just before the next statement that is not such a write (a read, the COMMIT). A ROLLBACK drops
 * them. Outside a transaction they run at once.
 *
 * One statement sees one snapshot, so two held-back writes to the same table (an extremity deleted
 * by the next event of a chain) would not see each other: a batch holds one write per table, and a
 * second write to a table first sends what is held. Writes to different tables do not interact
 * (the schema has no triggers or foreign keys). An error in a held-back write surfaces at the
 * statement that sends it, inside the same transaction, which then rolls back whole.
 *
 * BEGIN is held back too, until a statement needs it (see BatchingClient).
 */
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from "kysely";
import { MatrixError } from "../errors.js";
import { PreparedStatements } from "./pg-prepared-statements.js";
import { lruCache } from "../lru.js";

/**
 * PostgreSQL refuses the NUL character (U+0000) in text and jsonb values, as invalid encoding (22021)
 * or as untranslatable (22P05); a JavaScript string is otherwise always valid UTF-8 on the wire. Such a
 * value can only come from a request (a display name, a device ID, a filter), so it is bad input, not a
 * server failure. SQLite stores it; where the value matters to the protocol (relations, IDs) it is
 * refused or ignored before it reaches storage, on both databases.
 */
function refusedText(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "22021" || code === "22P05") return new MatrixError(400, "M_BAD_JSON", "Text containing the NUL character (U+0000) cannot be stored");
  return error;
}

/** The marker `Statement` puts before a batchable write's text: `/*batch:<table>*\/`. */
export const BATCH_MARKER = "/*batch:";

interface HeldWrite {
  table: string;
  sql: string;
  params: readonly unknown[];
}

/** `$n` placeholders of `sql` moved up by `offset`, for its place in a combined statement. */
function shiftPlaceholders(sql: string, offset: number): string {
  return offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/**
 * Combined texts by the texts and parameter counts they combine: the same few combinations repeat
 * (a message's writes), and rewriting every placeholder of each was most of the work of combining.
 */
const combinedTexts = lruCache<string, string>(500);

/** One statement doing every write of `held`, in order, with their parameters concatenated. */
export function combineWrites(held: readonly { sql: string; params: readonly unknown[] }[]): { sql: string; params: unknown[] } {
  if (held.length === 1) return { sql: (held[0] as HeldWrite).sql, params: [...(held[0] as HeldWrite).params] };
  const params: unknown[] = [];
  let key = "";
  for (const write of held) {
    key += `${write.params.length}\u0000${write.sql}\u0000`;
    for (const param of write.params) params.push(param);
  }
  let sql = combinedTexts.get(key);
  if (sql === undefined) {
    const parts: string[] = [];
    let offset = 0;
    for (const write of held) {
      parts.push(shiftPlaceholders(write.sql, offset));
      offset += write.params.length;
    }
    const last = parts.pop() as string;
    sql = `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(", ")} ${last}`;
    combinedTexts.set(key, sql);
  }
  return { sql, params };
}

function tableOf(sql: string): string | undefined {
  if (!sql.startsWith(BATCH_MARKER)) return undefined;
  const end = sql.indexOf("*/", BATCH_MARKER.length);
  return end < 0 ? undefined : sql.slice(BATCH_MARKER.length, end);
}

interface NamedQueryClient {
  query<R>(config: { name: string; text: string; values: readonly unknown[] }): Promise<PostgresQueryResult<R>>;
}

const HELD_RESULT: PostgresQueryResult<never> = Object.freeze({ command: "INSERT", rowCount: 0, rows: [] as never[] }) as PostgresQueryResult<never>;

const BEGIN_RESULT = Object.freeze({ command: "BEGIN", rowCount: 0, rows: [] as never[] });
const COMMIT_RESULT = Object.freeze({ command: "COMMIT", rowCount: 0, rows: [] as never[] });
const ROLLBACK_RESULT = Object.freeze({ command: "ROLLBACK", rowCount: 0, rows: [] as never[] });

/**
 * A pool client that holds back batchable writes while a transaction is open. BEGIN itself waits for
 * the first statement that needs it: a transaction of nothing but batchable writes (a message whose
 * every ID and member was known) is sent as its one statement, which PostgreSQL runs atomically on its
 * own, with no BEGIN or COMMIT round trip.
 */
class BatchingClient implements PostgresPoolClient {
  private inTransaction = false;
  /** BEGIN was asked for and not sent yet. */
  private beginHeld = false;
  private held: HeldWrite[] = [];
  private readonly preparedStatements = new PreparedStatements();

  constructor(private readonly client: PostgresPoolClient) {}

  /** Sends one statement, under a prepared name once its text has repeated (pg-prepared-statements.ts). */
  private send<R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    // Statements without parameters (BEGIN, COMMIT, SAVEPOINT) are not worth a name.
    const name = values.length > 0 ? this.preparedStatements.nameFor(text) : undefined;
    // The pool's clients are node-postgres clients, which take a query config with a name.
    const query = name === undefined ? this.client.query<R>(text, values) : (this.client as unknown as NamedQueryClient).query<R>({ name, text, values });
    return query.catch((error: unknown) => Promise.reject(refusedText(error)));
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query(cursor: Parameters<PostgresPoolClient["query"]>[0]): never;
  query<R>(sql: unknown, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (typeof sql !== "string") throw new Error("cursors are not used with this pool");
    return this.run<R>(sql, parameters ?? []);
  }

  private async run<R>(sql: string, params: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    const table = this.inTransaction ? tableOf(sql) : undefined;
    if (table !== undefined) {
      if (this.held.some((write) => write.table === table)) await this.flush();
      this.held.push({ table, sql, params });
      return HELD_RESULT as PostgresQueryResult<R>;
    }
    const command = sql.trimStart().slice(0, 16).toLowerCase();
    if (command === "begin") {
      this.inTransaction = true;
      this.beginHeld = true;
      return BEGIN_RESULT as unknown as PostgresQueryResult<R>;
    }
    if (command.startsWith("rollback to")) {
      // Everything held was written after the savepoint (SAVEPOINT itself sent what was held before).
      this.held = [];
    } else if (command.startsWith("rollback")) {
      // Nothing to roll back on the server if BEGIN never went, or the transaction was one statement.
      const open = this.inTransaction && !this.beginHeld;
      this.held = [];
      this.inTransaction = false;
      this.beginHeld = false;
      if (!open) return ROLLBACK_RESULT as unknown as PostgresQueryResult<R>;
    } else if (command.startsWith("commit") && this.beginHeld) {
      // Nothing but held writes: one statement is its own transaction.
      this.beginHeld = false;
      this.inTransaction = false;
      await this.flush();
      return COMMIT_RESULT as unknown as PostgresQueryResult<R>;
    } else {
      await this.flush();
    }
    const result = await this.send<R>(sql, params);
    if (command.startsWith("start transaction")) this.inTransaction = true;
    else if (command.startsWith("commit")) this.inTransaction = false;
    return result;
  }

  /** Sends what is held, after BEGIN if that is still to go. */
  private async flush(): Promise<void> {
    if (this.beginHeld) {
      this.beginHeld = false;
      await this.client.query("BEGIN", []);
    }
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    const { sql, params } = combineWrites(held);
    await this.send(sql, params);
  }

  release(destroy?: boolean): void {
    this.held = [];
    this.inTransaction = false;
    this.beginHeld = false;
    this.client.release(destroy);
  }
}

/** `pool` with clients that batch marked writes inside transactions (one wrapper per client). */
export function batchingPool(pool: PostgresPool): PostgresPool {
  const wrappers = new WeakMap<PostgresPoolClient, BatchingClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = new BatchingClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
