// Builds native/sqlite-wal-writes.c, the SQLite extension that writes a commit's WAL frames in one
// system call (see the file), into build/. Run by `npm ci` / `npm install` (postinstall). Optional:
// without a C compiler (a Raspberry Pi without build tools, say) the server runs without it, writing
// the WAL as SQLite does by default, and this script says so and succeeds.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "build", "sqlite-wal-writes.so");
// The headers of the SQLite that better-sqlite3 links in, so the extension matches it.
const include = join(root, "node_modules", "better-sqlite3", "deps", "sqlite3");
mkdirSync(dirname(output), { recursive: true });
const compiler = process.env["CC"] ?? "cc";
const result = spawnSync(compiler, ["-O2", "-fPIC", "-shared", "-Wall", "-I", include, join(root, "native", "sqlite-wal-writes.c"), "-o", output], { stdio: ["ignore", "inherit", "inherit"] });
if (result.status === 0) console.log(`built ${output}`);
else console.warn(`could not build ${output} (${result.error?.message ?? `${compiler} exited with ${result.status}`}): SQLite will write its WAL frame by frame, which is slower but the same`);
