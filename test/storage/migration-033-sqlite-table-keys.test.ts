/**
 * Migration 033 rebuilds SQLite tables under a different key layout: the rows, columns, constraints and
 * indexes a database had before must all be there after, and the keys must be what it says.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../../src/storage/kysely.js";
import { Db } from "../../src/storage/db.js";
import { migrate, MIGRATIONS } from "../../src/storage/migrations/index.js";
import { KEY_ORGANISED, ROWID_KEYED } from "../../src/storage/migrations/033-sqlite-table-keys.js";
import { createTestDatabase } from "../harness/databases.js";

interface Column {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** A value of the column's declared type; `seed` makes rows differ. */
function valueFor(column: Column, seed: number): number | string {
  return /int/i.test(column.type) ? 1000 + seed : `${column.name}-${seed}`;
}

async function tableState(db: Db, table: string): Promise<{ rows: unknown[]; indexes: string[]; create: string }> {
  const rows = (await sql.raw(`SELECT * FROM "${table}" ORDER BY 1`).execute(db.kysely)).rows;
  const indexes = (await sql<{ name: string }>`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL ORDER BY name`.execute(db.kysely)).rows.map((row) => row.name);
  const create = (await sql<{ sql: string }>`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ${table}`.execute(db.kysely)).rows[0]?.sql ?? "";
  return { rows, indexes, create };
}

describe("migration 033 on sqlite", () => {
  it("keeps every row, column and index of the tables it rebuilds, keyed as it says", async () => {
    const target = await createTestDatabase("sqlite");
    const db = await Db.open({ url: target.url, poolSize: 1 });
    try {
      const index = MIGRATIONS.findIndex((migration) => migration.name === "033-sqlite-table-keys");
      const onNewDatabase: string[] = [];
      await migrate(db, { migrations: MIGRATIONS.slice(0, index), onUpgrade: (name) => onNewDatabase.push(name) });
      assert.deepEqual(onNewDatabase, [], "creating a new database is no upgrade");
      const before = new Map<string, Awaited<ReturnType<typeof tableState>>>();
      for (const table of [...ROWID_KEYED, ...KEY_ORGANISED]) {
        const columns = (await sql<Column>`SELECT name, type, "notnull", pk FROM pragma_table_info(${table})`.execute(db.kysely)).rows;
        for (const seed of [1, 2, 3]) {
          const names = columns.map((column) => `"${column.name}"`).join(", ");
          const values = columns.map((column) => valueFor(column, seed));
          await sql.raw(`INSERT INTO "${table}" (${names}) VALUES (${values.map((value) => (typeof value === "number" ? String(value) : `'${value}'`)).join(", ")})`).execute(db.kysely);
        }
        before.set(table, await tableState(db, table));
      }

      const announced: string[] = [];
      assert.deepEqual(await migrate(db, { migrations: MIGRATIONS.slice(0, index + 1), onUpgrade: (name) => announced.push(name) }), ["033-sqlite-table-keys"]);
      assert.deepEqual(announced, ["033-sqlite-table-keys"], "an upgrade of a database with data is announced");

      for (const table of [...ROWID_KEYED, ...KEY_ORGANISED]) {
        const after = await tableState(db, table);
        const was = before.get(table);
        assert.deepEqual(after.rows, was?.rows, `${table}: rows`);
        assert.deepEqual(after.indexes, was?.indexes, `${table}: indexes`);
        assert.equal(after.create.replace(/ integer primary key| WITHOUT ROWID/gi, ""), was?.create.replace(/ bigint primary key/gi, "").replace(/ WITHOUT ROWID/gi, ""), `${table}: columns and constraints`);
        // The key still refuses a duplicate.
        const first = (after.rows[0] ?? {}) as Record<string, unknown>;
        const names = Object.keys(first).map((name) => `"${name}"`).join(", ");
        await assert.rejects(() => sql.raw(`INSERT INTO "${table}" (${names}) SELECT ${names} FROM "${table}" LIMIT 1`).execute(db.kysely), /UNIQUE|PRIMARY KEY/, `${table}: key`);
      }
      for (const table of ROWID_KEYED) {
        const key = (await sql<Column>`SELECT name, type, "notnull", pk FROM pragma_table_info(${table}) WHERE pk = 1`.execute(db.kysely)).rows[0];
        assert.equal(key?.type.toUpperCase(), "INTEGER", `${table}: its key is the rowid`);
        const rows = (await sql.raw<{ same: number }>(`SELECT rowid = "${key?.name}" AS same FROM "${table}"`).execute(db.kysely)).rows;
        assert.ok(rows.length === 3 && rows.every((row) => row.same === 1), `${table}: rowid is the key`);
      }
      for (const table of KEY_ORGANISED) {
        assert.match((await tableState(db, table)).create, /WITHOUT ROWID$/, `${table}: stored in its key's tree`);
      }
    } finally {
      await db.close();
      await target.cleanup();
    }
  });
});
