/** What store functions run their queries on: the database itself or an open transaction. */
import type { Kysely, Transaction } from "kysely";
import type { Schema } from "./schema/index.js";

/** A Kysely executor: the database itself or an open transaction. Store functions take one of these. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export interface Tx {
  /** Runs statements inside the transaction (on SQLite, a Kysely holding the one connection from BEGIN to COMMIT). */
  readonly db: Executor;
  /** Runs after the transaction committed; never runs if it rolled back. */
  onCommit(hook: () => void): void;
  /** Runs after the transaction ended, committed or not (before the onCommit hooks). */
  onFinally(hook: () => void): void;
}
