/**
 * SQLite only: tables keyed as SQLite stores them best.
 *
 * - A single-column key declared `bigint primary key` is not SQLite's rowid (only the exact type name
 *   INTEGER makes a column an alias for it), so such a table kept a hidden rowid, and its key lived in
 *   a second B-tree that every insert wrote and every lookup went through before reaching the row. The
 *   event table is the one that matters: each new event wrote that extra tree, and every read of an
 *   event by its number made two descents instead of one. These keys become INTEGER PRIMARY KEY.
 * - Tables with a composite key of small rows (memberships, current state, state snapshots, push
 *   actions, receipts, threads) had the same second tree beside a rowid table; they are stored
 *   WITHOUT ROWID, the row in its key's tree. Tables whose rows can be large (account data) stay as
 *   they are: a WITHOUT ROWID row should be small against the page.
 *
 * Each table is rebuilt with its own columns, constraints and indexes (read from the schema as it is),
 * and its rows copied. PostgreSQL stores every table as a heap with separate indexes: nothing changes.
 */
import { sql, type Kysely } from "../kysely.js";
import type { Migration } from "./helpers.js";

/** Tables whose single-column `bigint primary key` becomes the rowid. */
export const ROWID_KEYED = ["events", "event_search", "redactions", "to_device_messages", "user_directory_public_rooms", "partial_state_rooms"];

/** Tables with a composite key and small rows, stored WITHOUT ROWID. */
export const KEY_ORGANISED = ["room_memberships", "current_state", "state_snapshot_entries", "event_push_actions", "receipts", "threads", "backward_extremities"];

interface SchemaRow {
  type: string;
  name: string;
  sql: string | null;
}

async function schemaOf(db: Kysely<unknown>, table: string): Promise<SchemaRow[]> {
  const { rows } = await sql<SchemaRow>`SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ${table}`.execute(db);
  return rows;
}

/** Rebuilds `table` from its own CREATE TABLE statement as `rewrite` changes it, keeping rows and indexes. */
async function rebuild(db: Kysely<unknown>, table: string, rewrite: (createSql: string) => string): Promise<void> {
  const schema = await schemaOf(db, table);
  const create = schema.find((row) => row.type === "table")?.sql;
  if (!create) throw new Error(`migration 033: table ${table} not found`);
  const rebuilt = rewrite(create);
  if (rebuilt === create) throw new Error(`migration 033: the definition of ${table} is not the one expected: ${create}`);
  // Indexes SQLite made for constraints (sqlite_autoindex_*) have no SQL and come back with the table.
  const indexes = schema.filter((row) => row.type === "index" && row.sql !== null).map((row) => row.sql as string);
  const { rows: columns } = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(db);
  const columnList = columns.map((column) => `"${column.name}"`).join(", ");
  const staging = `${table}_rebuilt`;
  await sql.raw(rebuilt.replace(/^CREATE TABLE\s+("?)\w+\1/i, `CREATE TABLE "${staging}"`)).execute(db);
  await sql.raw(`INSERT INTO "${staging}" (${columnList}) SELECT ${columnList} FROM "${table}"`).execute(db);
  await sql.raw(`DROP TABLE "${table}"`).execute(db);
  await sql.raw(`ALTER TABLE "${staging}" RENAME TO "${table}"`).execute(db);
  for (const index of indexes) await sql.raw(index).execute(db);
}

export const sqliteTableKeysMigration: Migration = {
  name: "033-sqlite-table-keys",
  async up({ db, dialect }) {
    if (dialect !== "sqlite") return;
    for (const table of ROWID_KEYED) {
      await rebuild(db, table, (create) => create.replace(/("\w+") bigint primary key/i, "$1 integer primary key"));
    }
    for (const table of KEY_ORGANISED) {
      await rebuild(db, table, (create) => `${create} WITHOUT ROWID`);
    }
  },
};
