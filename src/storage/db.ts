/**
 * The database: Kysely over better-sqlite3 (embedded, default) or PostgreSQL (pg). The same schema and
 * the same queries run on both. Work that must happen together runs in `db.transaction`, whose
 * `onCommit` hooks run only once the commit succeeded (to wake the notifier, fill caches).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { AsyncLocalStorage } from "node:async_hooks";
import { Kysely, PostgresDialect, SqliteDialect, sql, type KyselyPlugin } from "./kysely.js";
import type { Schema } from "./schema/index.js";
import { BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from "./sqlite-checkpointer.js";
import { batchingPool } from "./pg-write-batching.js";
import { GroupCommitter } from "./group-commit.js";
import { attachToDatabase, type SqliteConnection } from "./sqlite-direct.js";
import { walWritesCoalesced } from "./sqlite-wal-writes.js";

export type DialectName = "sqlite" | "postgres";

import type { Tx } from "./executor.js";
import { lruCache } from "../lru.js";
export type { Executor, Tx } from "./executor.js";

export interface DbOptions {
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://...`. */
  url: string;
  /** PostgreSQL schema to create and use (tests isolate themselves this way). */
  schema?: string;
  sqliteSynchronous?: "normal" | "full";
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * Turn a query on the database made from inside a transaction into an immediate error (see the guard
   * below). Tests switch it on; a server leaves it off, because the async context it needs makes every
   * promise a little dearer.
   */
  guardTransactions?: boolean;
  /** Where errors of background work (SQLite checkpoints) are reported; a process warning by default. */
  onBackgroundError?: (message: string) => void;
}


/**
 * Marks the async context of a running transaction. A query on the database itself (not on the
 * transaction) from inside one is a bug: on SQLite it waits for the transaction's connection forever,
 * on PostgreSQL it cannot see the transaction's writes and may wait on its locks. The guard plugin
 * turns it into an immediate error instead of a hang.
 */
const transactionContext = new AsyncLocalStorage<boolean>();

const outsideTransactionGuard: KyselyPlugin = {
  transformQuery(args) {
    if (transactionContext.getStore()) {
      throw new Error("a query on the database was made inside a transaction: pass the transaction (tx.db) instead");
    }
    return args.node;
  },
  async transformResult(args) {
    return args.result;
  },
};

export class Db {
  private constructor(
    readonly kysely: Kysely<Schema>,
    readonly dialect: DialectName,
    /** How many statements can run at once: SQLite's one connection, or the PostgreSQL pool's size. */
    readonly connections: number,
    private readonly guarded: boolean,
    private readonly closeHook: () => Promise<void>,
    /** SQLite's connection, for statements that run on it directly (sqlite-direct.ts). */
    sqliteConnection?: SqliteConnection,
  ) {
    // SQLite has one connection: transactions waiting for it are committed together (group-commit.ts).
    if (sqliteConnection) {
      this.groupCommitter = new GroupCommitter(
        kysely,
        sqliteConnection,
        (work) => (guarded ? transactionContext.run(true, work) : work()),
        (work) => (guarded ? transactionContext.exit(work) : work()),
      );
    }
  }

  private readonly groupCommitter: GroupCommitter | undefined;

  /**
   * Whether each statement is a round trip worth sharing (PostgreSQL). On SQLite a read is a function
   * call that finishes before anything else runs; holding it back to share it only lets other work in
   * first (measured: the last answers of a wake-up came later, the first ones no sooner).
   */
  get statementsAreRoundTrips(): boolean {
    return this.dialect === "postgres";
  }

  static async open(options: DbOptions): Promise<Db> {
    if (options.url.startsWith("sqlite:")) return Db.openSqlite(options);
    if (/^postgres(ql)?:\/\//.test(options.url)) return Db.openPostgres(options);
    throw new Error(`unsupported database URL: ${options.url}`);
  }

  private static openSqlite(options: DbOptions): Db {
    const path = options.url.slice("sqlite:".length);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    // Before the database opens: the extension becomes the VFS new connections use.
    walWritesCoalesced();
    const database = new BetterSqlite3(path);
    database.pragma("journal_mode = WAL");
    database.pragma(`synchronous = ${options.sqliteSynchronous === "full" ? "FULL" : "NORMAL"}`);
    database.pragma("busy_timeout = 5000");
    database.pragma("foreign_keys = OFF");
    database.pragma("cache_size = -16000"); // 16 MiB page cache: enough for hot indexes, small for a Pi
    database.pragma("temp_store = MEMORY");
    const synchronous = options.sqliteSynchronous === "full" ? "FULL" : "NORMAL";
    let checkpointer: SqliteCheckpointer | undefined;
    if (path !== ":memory:") {
      database.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
      checkpointer = new SqliteCheckpointer(database, path, synchronous, options.onBackgroundError ?? ((message) => process.emitWarning(`SQLite checkpoint: ${message}`)));
    }
    // Kysely prepares every statement afresh; preparing costs more than running most of our queries,
    // so statements are kept by their SQL text (queries are parameterised, so the texts repeat).
    const statements = lruCache<string, BetterSqlite3.Statement>(1000);
    const cachedDatabase: SqliteConnection & { close(): void } = {
      database,
      prepare(text: string): BetterSqlite3.Statement {
        let statement = statements.get(text);
        if (!statement) {
          statement = database.prepare(text);
          statements.set(text, statement);
        }
        return statement;
      },
      close(): void {
        statements.clear();
        database.close();
      },
    };
    const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachedDatabase }), plugins: options.guardTransactions ? [outsideTransactionGuard] : [] });
    attachToDatabase(kysely, cachedDatabase);
    return new Db(
      kysely,
      "sqlite",
      1,
      !!options.guardTransactions,
      async () => {
        // The worker's connection goes first; closing the last connection checkpoints the rest of the WAL.
        await checkpointer?.close();
        await kysely.destroy();
      },
      cachedDatabase,
    );
  }

  private static async openPostgres(options: DbOptions): Promise<Db> {
    // Loaded only when used: an embedded (SQLite) server does not pay for the PostgreSQL driver.
    const { default: pg } = await import("pg");
    // BIGINT (int8) arrives from pg as a string by default; our positions and timestamps fit a double.
    pg.types.setTypeParser(20, (value: string) => Number(value));
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    if (schema) {
      const client = new pg.Client({ connectionString: options.url });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await client.end();
      }
    }
    const poolSize = options.poolSize ?? 10;
    // The search path is a startup parameter of every connection, so no query can run before it is set.
    const pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: batchingPool(pool) }), plugins: options.guardTransactions ? [outsideTransactionGuard] : [] });
    // Surface a bad URL or a server that is down at start, not on the first request.
    await sql`SELECT 1`.execute(kysely);
    return new Db(kysely, "postgres", poolSize, !!options.guardTransactions, async () => {
      await kysely.destroy();
    });
  }

  /**
   * Callbacks just scheduled with setImmediate will ask for transactions: on SQLite their group
   * commit round is scheduled behind them (GroupCommitter.scheduleRound). Nothing on PostgreSQL.
   */
  expectTransactions(): void {
    this.groupCommitter?.scheduleRound();
  }

  /** Runs `work` in one transaction; hooks registered with tx.onCommit run after a successful commit. */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.groupCommitter) return this.groupCommitter.run(work);
    const hooks: (() => void)[] = [];
    const finals: (() => void)[] = [];
    let result: T;
    try {
      const run = (): Promise<T> =>
        this.kysely.transaction().execute((tx) =>
          work({ db: tx.withoutPlugins(), onCommit: (hook) => hooks.push(hook), onFinally: (hook) => finals.push(hook) }),
        );
      result = this.guarded ? await transactionContext.run(true, run) : await run();
    } finally {
      for (const hook of finals) hook();
    }
    for (const hook of hooks) hook();
    return result;
  }

  async close(): Promise<void> {
    await this.closeHook();
  }
}
