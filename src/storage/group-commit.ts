/**
 * Group commit for SQLite. The embedded database has one connection, so transactions run one after
 * another anyway, and each commit pays for its WAL write (measured at ~0.7 ms on the test VM under load,
 * more than the rest of a message send). Transactions that arrive while one is running wait in a queue;
 * the next round runs all of them in one database transaction, each inside its own savepoint, and
 * commits once. A transaction that fails rolls back to its savepoint and fails alone; the others still
 * commit. A lone transaction runs without a savepoint, so a quiet server pays nothing for this.
 *
 * A round starts in the event loop's check phase (setImmediate), not at the first caller: SQLite's
 * statements are function calls, so a round started at once would run to its commit before any other
 * request was even read, and every round would hold one transaction (measured: 50 clients sending at
 * once made 9 066 commits for 9 000 messages). Deferred to the end of the loop turn, a round takes every
 * transaction the requests read in that turn asked for; a lone request waits one turn of an otherwise
 * idle loop, a few microseconds.
 * Callers see the same contract as a plain transaction: their onCommit hooks run only once the data is
 * committed, their onFinally hooks whatever happened.
 */
import type { Kysely } from "kysely";
import type { Schema } from "./schema/index.js";
import type { Tx } from "./executor.js";
import { transactionExecutor, type SqliteConnection } from "./sqlite-direct.js";

interface Queued {
  work: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Outcome {
  queued: Queued;
  finals: (() => void)[];
  hooks: (() => void)[];
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

/** Most transactions committed together: bounds how long the first of a round waits for the last. */
const MAX_ROUND = 64;

export class GroupCommitter {
  private readonly queue: Queued[] = [];
  /** A round is scheduled or running: new callers only join the queue. */
  private draining = false;

  constructor(
    private readonly kysely: Kysely<Schema>,
    /** The connection, for statements run on it directly inside a round (sqlite-direct.ts). */
    private readonly connection: SqliteConnection,
    /** Runs a round's database work inside whatever context the database keeps for transactions (the test guard). */
    private readonly inside: <T>(work: () => Promise<T>) => Promise<T>,
    /** Runs outside that context: callers' hooks must not look as if they were inside a transaction. */
    private readonly outside: <T>(work: () => T) => T,
  ) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.scheduleRound();
    });
  }

  /**
   * Schedules a round unless one is scheduled or running. Also called ahead of time by the message
   * sender (Db.expectTransactions), whose callbacks, scheduled with setImmediate just before, will ask
   * for transactions: the round then runs behind them in the same check phase, once their work has
   * queued its transactions, instead of one more turn of the event loop later (measured: ~28 µs of a
   * sequential message send's ~790). Should nothing be queued by then, the round is empty and the next
   * transaction schedules its own.
   */
  scheduleRound(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.outside(() => this.drain()));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const round = this.queue.splice(0, MAX_ROUND);
        const settle = await this.inside(() => this.runRound(round));
        settle();
      }
    } finally {
      this.draining = false;
    }
  }

  /** Runs a round's transaction; returns what settles its callers, to be run outside the transaction context. */
  private async runRound(round: Queued[]): Promise<() => void> {
    const outcomes: Outcome[] = [];
    try {
      // Kysely hands the connection to the round from BEGIN to COMMIT, so that nothing else runs on it
      // meanwhile; BEGIN and COMMIT themselves are prepared statements run on it directly (Kysely's own
      // transaction builder compiled and prepared both every round: ~15 µs of a message send).
      await this.kysely.connection().execute(async (holder) => {
        this.statement("BEGIN");
        // One executor for the whole round: the transactions of a round share its connection anyway.
        const { db, end } = transactionExecutor(holder, this.connection);
        try {
          await this.runInTransaction(round, outcomes, db);
          end();
          this.statement(round.length === 1 && !outcomes[0]?.ok ? "ROLLBACK" : "COMMIT");
        } catch (error) {
          // Rolled back before the connection is handed on, so that nobody else's statement lands in it.
          end();
          if (this.connection.database.inTransaction) this.statement("ROLLBACK");
          throw error;
        }
      });
    } catch (roundError) {
      // The round itself failed (begin, a savepoint or the commit): nothing of it is committed.
      return () => {
        for (const queued of round) {
          const outcome = outcomes.find((o) => o.queued === queued);
          try {
            for (const hook of outcome?.finals ?? []) hook();
          } finally {
            queued.reject(outcome && !outcome.ok ? outcome.error : roundError);
          }
        }
      };
    }
    return () => this.settle(outcomes);
  }

  /** Each transaction of a round, on the round's executor (savepoints when there are several). */
  private async runInTransaction(round: readonly Queued[], outcomes: Outcome[], db: Tx["db"]): Promise<void> {
    const alone = round.length === 1;
    for (const queued of round) {
      const outcome: Outcome = { queued, finals: [], hooks: [], ok: false };
      outcomes.push(outcome);
      if (!alone) this.statement("SAVEPOINT grouped");
      try {
        outcome.value = await queued.work({
          db,
          onCommit: (hook) => outcome.hooks.push(hook),
          onFinally: (hook) => outcome.finals.push(hook),
        });
        outcome.ok = true;
      } catch (error) {
        outcome.error = error;
        if (!alone) this.statement("ROLLBACK TO grouped");
      }
      if (!alone) this.statement("RELEASE grouped");
    }
  }

  /**
   * The round's own statements, prepared once and run on the connection directly: BEGIN and COMMIT,
   * and the savepoint each transaction of a round runs in (three statements through Kysely per
   * transaction were a fifth of the round's cost per transaction); one savepoint name serves every
   * transaction of the round, as each is released before the next begins.
   */
  private statement(statement: "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT grouped" | "ROLLBACK TO grouped" | "RELEASE grouped"): void {
    this.connection.prepare(statement).run();
  }

  private settle(outcomes: readonly Outcome[]): void {
    for (const outcome of outcomes) {
      try {
        for (const hook of outcome.finals) hook();
        if (!outcome.ok) {
          outcome.queued.reject(outcome.error);
          continue;
        }
        for (const hook of outcome.hooks) hook();
        outcome.queued.resolve(outcome.value);
      } catch (hookError) {
        // A failing hook fails its own caller, as with a transaction of its own; the rest still settle.
        outcome.queued.reject(hookError);
      }
    }
  }
}
