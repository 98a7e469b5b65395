/**
 * Precompiled statements (statement.ts) run straight on SQLite's connection instead of through Kysely.
 * Kysely's path for one statement (its executor, the connection mutex, the driver's lookup of the
 * prepared statement by its text in a cache) costs several microseconds on top of what SQLite takes for
 * a small insert, and a message send runs a dozen of them; the sync answers woken by one message run
 * a few each, by the hundred.
 *
 * Only where it cannot change what a statement sees: SQLite has one connection, and Kysely hands it to
 * one holder at a time, a transaction holding it from BEGIN to COMMIT across awaits. So a statement runs
 * directly
 * - on an open transaction's executor (its holder is the caller), until the transaction ends;
 * - on the database itself only while no transaction is open on the connection: JavaScript runs one
 *   thing at a time and better-sqlite3 runs a statement to its end, so it cannot land inside one.
 *   Otherwise it goes through Kysely and waits for the connection, as it always did.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/** The one connection of an SQLite database, with its statements prepared once by text. */
export interface SqliteConnection {
  readonly database: BetterSqlite3.Database;
  prepare(text: string): BetterSqlite3.Statement;
}

interface Attachment {
  connection: SqliteConnection;
  /** Set on a transaction's executor: whether the transaction is still open. */
  transaction?: { open: boolean };
}

const ATTACHMENT = Symbol("tessera.sqliteConnection");

type Attachable = { [ATTACHMENT]?: Attachment };

/** Marks the database's own executor (db.kysely). */
export function attachToDatabase(executor: object, connection: SqliteConnection): void {
  (executor as Attachable)[ATTACHMENT] = { connection };
}

const ENDED_MESSAGE = "This transaction has ended: its executor runs no more statements";

/** Refuses statements built with Kysely once the transaction has ended (precompiled ones: `transactionEnded`). */
class EndedTransactionGuard implements KyselyPlugin {
  constructor(private readonly transaction: { open: boolean }) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (!this.transaction.open) throw new Error(ENDED_MESSAGE);
    return args.node;
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/**
 * The executor of a transaction open on `connection`, made from `holder` (Kysely holding that
 * connection from BEGIN to COMMIT), and `end`, called when the transaction ends. Statements run on it
 * directly while it is open; afterwards it refuses every statement, precompiled or built, rather than
 * let one kept by mistake run on the connection outside any transaction.
 */
export function transactionExecutor<DB>(holder: Kysely<DB>, connection: SqliteConnection): { db: Kysely<DB>; end: () => void } {
  const transaction = { open: true };
  const db = holder.withoutPlugins().withPlugin(new EndedTransactionGuard(transaction));
  (db as Attachable)[ATTACHMENT] = { connection, transaction };
  return {
    db,
    end: () => {
      transaction.open = false;
    },
  };
}

/** Throws if `executor` is the executor of a transaction that has ended: nothing may run on it any more. */
export function refuseIfTransactionEnded(executor: object): void {
  const transaction = (executor as Attachable)[ATTACHMENT]?.transaction;
  if (transaction !== undefined && !transaction.open) throw new Error(ENDED_MESSAGE);
}

/** The connection a statement on `executor` may run on directly now, if any. */
export function directConnection(executor: object): SqliteConnection | undefined {
  const attachment = (executor as Attachable)[ATTACHMENT];
  if (attachment === undefined) return undefined;
  if (attachment.transaction !== undefined) return attachment.transaction.open ? attachment.connection : undefined;
  return attachment.connection.database.inTransaction ? undefined : attachment.connection;
}
