/**
 * Loads the SQLite extension that writes a commit's WAL frames with one system call instead of two per
 * page (native/sqlite-wal-writes.c, built into build/ by `npm ci`). It registers itself as SQLite's
 * default VFS for the whole process, so it is loaded once, before the first database opens. Where it
 * was not built (no C compiler), SQLite writes as it does by default: the same files, only more calls.
 */
import { existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { packageFile } from "../package-files.js";

const EXTENSION = packageFile("build/sqlite-wal-writes.so");

let loaded: boolean | undefined;

/** Whether commits write their WAL frames in one call (loading the extension on first use). */
export function walWritesCoalesced(): boolean {
  if (loaded === undefined) {
    loaded = false;
    if (existsSync(EXTENSION)) {
      const boot = new BetterSqlite3(":memory:");
      try {
        boot.loadExtension(EXTENSION);
        loaded = true;
      } finally {
        boot.close();
      }
    }
  }
  return loaded;
}

/**
 * [frames written, write calls made] since the extension was loaded, by every connection of the
 * process, for tests. Asked through `database`, which gets the extension's SQL function for this.
 */
export function walWriteCounts(database: BetterSqlite3.Database): [number, number] {
  database.loadExtension(EXTENSION);
  return JSON.parse(database.prepare("SELECT sqlite_wal_writes()").pluck().get() as string) as [number, number];
}
