/**
 * Kysely, imported in one place. `npm start` runs the bundle of scripts/build.mjs, which keeps only the
 * parts of Kysely that are used (its ES module build, tree-shaken): measured, the resident size right
 * after start 1.1 MiB lower than with its CommonJS build loaded whole beside the bundle.
 */
export { sql, Kysely, CompiledQuery, SqliteDialect, PostgresDialect } from "kysely";
export type * from "kysely";
