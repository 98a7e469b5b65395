/**
 * The ordered list of migrations and the runner. Each migration runs once, in its own transaction, and
 * is recorded in `tessera_migrations`; a database from a newer Tessera (unknown migrations) is refused.
 */
import { sql, type Kysely } from "../kysely.js";
import type { Db } from "../db.js";
import type { Migration } from "./helpers.js";
import { accountsMigration } from "./001-accounts.js";
import { eventsMigration } from "./002-events.js";
import { userDataMigration } from "./003-user-data.js";
import { threepidsMigration } from "./004-threepids.js";
import { pushMigration } from "./011-push.js";
import { threadsMigration } from "./010-threads.js";
import { userDirectorySearchMigration } from "./013-user-directory-search.js";
import { userReportsMigration } from "./014-user-reports.js";
import { searchMigration } from "./015-search.js";
import { pushActionsIndexMigration } from "./016-push-actions-index.js";
import { leanEventWritesMigration } from "./017-lean-event-writes.js";
import { leanIdWritesMigration } from "./018-lean-id-writes.js";
import { e2eKeysMigration } from "./019-e2e-keys.js";
import { federationKeysMigration } from "./024-federation-keys.js";
import { federationOutboxMigration } from "./025-federation-outbox.js";
import { outOfBandMembershipsMigration } from "./027-out-of-band-memberships.js";
import { partialStateRoomsMigration } from "./030-partial-state-rooms.js";
import { searchIndexProgressMigration } from "./031-search-index-progress.js";
import { membershipStreamIndexMigration } from "./032-membership-stream-index.js";
import { sqliteTableKeysMigration } from "./033-sqlite-table-keys.js";
import { pushActionsCoveringIndexMigration } from "./034-push-actions-covering-index.js";
import { pushActionsStagingMigration } from "./035-push-actions-staging.js";
import { keyBackupMigration } from "./020-key-backup.js";
import { mediaMigration } from "./021-media.js";
import { pushersMigration } from "./022-pushers.js";
import { thumbnailsMigration } from "./023-thumbnails.js";

export const MIGRATIONS: readonly Migration[] = [accountsMigration, eventsMigration, userDataMigration, threepidsMigration, threadsMigration, pushMigration, userDirectorySearchMigration, userReportsMigration, searchMigration, pushActionsIndexMigration, leanEventWritesMigration, leanIdWritesMigration, e2eKeysMigration, keyBackupMigration, mediaMigration, pushersMigration, thumbnailsMigration, federationKeysMigration, federationOutboxMigration, outOfBandMembershipsMigration, partialStateRoomsMigration, searchIndexProgressMigration, membershipStreamIndexMigration, sqliteTableKeysMigration, pushActionsCoveringIndexMigration, pushActionsStagingMigration];

export interface MigrateOptions {
  /** The list to apply: the full one but in tests of one migration's handling of existing rows. */
  migrations?: readonly Migration[];
  /**
   * Called before each migration that runs on a database holding data from an earlier version (not a
   * new one): rebuilding a large table can take a while, and an operator should see why.
   */
  onUpgrade?: (name: string) => void;
}

/** Applies the migrations not yet applied; returns their names. */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const migrations = options.migrations ?? MIGRATIONS;
  const raw = db.kysely as unknown as Kysely<unknown>;
  await raw.schema
    .createTable("tessera_migrations")
    .ifNotExists()
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("applied_ts", "bigint", (c) => c.notNull())
    .execute();
  const done = new Set(
    (await sql<{ name: string }>`SELECT name FROM tessera_migrations`.execute(raw)).rows.map((row) => row.name),
  );
  const known = new Set(MIGRATIONS.map((m) => m.name));
  const unknown = [...done].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`the database was written by a newer Tessera (unknown migrations: ${unknown.join(", ")})`);
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.name)) continue;
    if (done.size > 0) options.onUpgrade?.(migration.name);
    await raw.transaction().execute(async (tx) => {
      await migration.up({ db: tx as unknown as Kysely<unknown>, dialect: db.dialect });
      await sql`INSERT INTO tessera_migrations (name, applied_ts) VALUES (${migration.name}, ${Date.now()})`.execute(tx);
    });
    applied.push(migration.name);
  }
  return applied;
}
