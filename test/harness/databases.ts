/**
 * Test databases: a temporary SQLite file, or a fresh schema on the PostgreSQL server at
 * TESSERA_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/test). Tests that need PostgreSQL
 * skip with a visible message where it is not running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Db } from "../../src/storage/db.js";
import { migrate } from "../../src/storage/migrations/index.js";

export const POSTGRES_URL = process.env["TESSERA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";

let postgresAvailable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers; checked once per test process. */
/**
 * Whether PostgreSQL answers. A busy machine can be slow to accept a connection, so it gets a few
 * tries before its tests are skipped; with TEST_REQUIRE_POSTGRES=1 (CI, where it must be there) an
 * unreachable server fails the run instead of skipping quietly.
 */
export function isPostgresAvailable(): Promise<boolean> {
  postgresAvailable ??= (async () => {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (process.env["TEST_REQUIRE_POSTGRES"] === "1") throw new Error(`PostgreSQL is required (TEST_REQUIRE_POSTGRES=1) but not reachable: ${String(lastError)}`);
    return false;
  })();
  return postgresAvailable;
}

// Asked at once when a test file loads: files declare their PostgreSQL suite after awaiting this, and a
// quick SQLite suite could otherwise end before it (the runner then ends the file without it: seen).
// A failure surfaces where the answer is awaited.
isPostgresAvailable().catch(() => undefined);

export const POSTGRES_SKIP_MESSAGE = `PostgreSQL is not reachable at ${POSTGRES_URL}: skipping the PostgreSQL variant`;

export type DatabaseKind = "sqlite" | "postgres";

export interface TestDatabase {
  kind: DatabaseKind;
  /** The URL to put in a homeserver config. */
  url: string;
  /** The PostgreSQL schema (for configs), if any. */
  schema?: string;
  /** Removes the file or drops the schema. */
  cleanup(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "tessera-test-"));
    return {
      kind,
      url: `sqlite:${join(dir, "test.db")}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  return {
    kind,
    url: POSTGRES_URL,
    schema,
    cleanup: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Opens and migrates a fresh database of the given kind. */
export async function openTestDb(kind: DatabaseKind): Promise<{ db: Db; cleanup(): Promise<void> }> {
  const target = await createTestDatabase(kind);
  const db = await Db.open({ url: target.url, schema: target.schema, poolSize: 4, guardTransactions: true });
  await migrate(db);
  return {
    db,
    cleanup: async () => {
      await db.close();
      await target.cleanup();
    },
  };
}

/** Every store test runs on each of these (ARCHITECTURE.md "Storage design"). */
export const DATABASE_KINDS: readonly DatabaseKind[] = ["sqlite", "postgres"];
