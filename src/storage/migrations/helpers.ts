/**
 * Helpers that keep one schema definition valid on SQLite and PostgreSQL. Integers are BIGINT on
 * PostgreSQL (SQLite's INTEGER is 64-bit anyway); auto-increment keys differ in syntax only.
 */
import type { CreateTableBuilder, Kysely } from "kysely";
import type { DialectName } from "../db.js";

export interface MigrationContext {
  db: Kysely<unknown>;
  dialect: DialectName;
}

export interface Migration {
  name: string;
  up(context: MigrationContext): Promise<void>;
}

/** An auto-incrementing integer primary key. */
export function autoId<T extends string>(
  table: CreateTableBuilder<T, never>,
  column: string,
  dialect: DialectName,
): CreateTableBuilder<T, never> {
  return dialect === "sqlite"
    ? table.addColumn(column, "integer", (c) => c.primaryKey().autoIncrement())
    : table.addColumn(column, "bigserial", (c) => c.primaryKey());
}
