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

/** Marks an open transaction's executor; the returned function is called when the transaction ends. */
export function attachToTransaction(executor: object, connection: SqliteConnection): () => void {
  const transaction = { open: true };
  (executor as Attachable)[ATTACHMENT] = { connection, transaction };
  return () => {
    transaction.open = false;
  };
}

/** Whether `executor` is the executor of a transaction that has ended: nothing may run on it any more. */
export function transactionEnded(executor: object): boolean {
  const transaction = (executor as Attachable)[ATTACHMENT]?.transaction;
  return transaction !== undefined && !transaction.open;
}

/** The connection a statement on `executor` may run on directly now, if any. */
export function directConnection(executor: object): SqliteConnection | undefined {
  const attachment = (executor as Attachable)[ATTACHMENT];
  if (attachment === undefined) return undefined;
  if (attachment.transaction !== undefined) return attachment.transaction.open ? attachment.connection : undefined;
  return attachment.connection.database.inTransaction ? undefined : attachment.connection;
}
