/**
 * Kysely, loaded from its CommonJS build. Its ES module build is some 280 files, and every ES module
 * costs Node more to hold than a CommonJS one (the module record, its loader job and the links between
 * them stay for the life of the process): measured, the server's RSS after start 81.8 MiB importing
 * the ES build, 80.4 MiB requiring the CommonJS one. Same classes and functions, same types.
 *
 * Import Kysely's values from here; types can come from "kysely" itself (they load nothing).
 */
import { createRequire } from "node:module";
import type * as KyselyModule from "kysely";

const kysely = createRequire(import.meta.url)("kysely") as typeof KyselyModule;

export const { sql, Kysely, CompiledQuery, SqliteDialect, PostgresDialect } = kysely;
export type Kysely<DB> = KyselyModule.Kysely<DB>;
export type CompiledQuery<O = unknown> = KyselyModule.CompiledQuery<O>;
export type SqliteDialect = KyselyModule.SqliteDialect;
export type PostgresDialect = KyselyModule.PostgresDialect;
export type * from "kysely";
