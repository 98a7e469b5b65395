// Builds Tessera's two optional native pieces into build/ with the machine's C compiler. Run by
// `npm ci` / `npm install` (postinstall). Without a C compiler (a Raspberry Pi without build tools,
// say) the server runs without them and this script says so and succeeds:
// - native/sqlite-wal-writes.c, the SQLite extension that writes a commit's WAL frames in one system
//   call (see the file); without it SQLite writes the WAL frame by frame, slower but the same;
// - native/release-memory.cc, a Node.js addon that gives glibc's free heap pages and V8's pooled and
//   fragmented heap pages back to the kernel (see the file); without it the server's resident size
//   stays a few MiB higher.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cCompiler = process.env["CC"] ?? "cc";
const cxxCompiler = process.env["CXX"] ?? "c++";
mkdirSync(join(root, "build"), { recursive: true });

function build(source, output, include, without) {
  const cxx = source.endsWith(".cc");
  const compiler = cxx ? cxxCompiler : cCompiler;
  // Node's headers need C++17.
  const flags = ["-O2", "-fPIC", "-shared", "-Wall", ...(cxx ? ["-std=c++17"] : []), "-I", include];
  const result = spawnSync(compiler, [...flags, join(root, "native", source), "-o", join(root, "build", output)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status === 0) console.log(`built build/${output}`);
  else console.warn(`could not build build/${output} (${result.error?.message ?? `${compiler} exited with ${result.status}`}): ${without}`);
}

// The headers of the SQLite that better-sqlite3 links in, so the extension matches it.
build("sqlite-wal-writes.c", "sqlite-wal-writes.so", join(root, "node_modules", "better-sqlite3", "deps", "sqlite3"), "SQLite will write its WAL frame by frame, which is slower but the same");

// Node's own headers: next to the running node binary (installed from a tarball, nvm, Debian's
// package), else where npm keeps the ones node-gyp downloads.
const nodeHeaders = [join(dirname(dirname(process.execPath)), "include", "node"), process.env["npm_config_nodedir"] ? join(process.env["npm_config_nodedir"], "include", "node") : undefined].find(
  (dir) => dir !== undefined && existsSync(join(dir, "node.h")),
);
if (nodeHeaders) build("release-memory.cc", "release-memory.node", nodeHeaders, "free heap pages stay with the process (a few MiB more resident)");
else console.warn("could not build build/release-memory.node (no node.h next to this Node.js): free heap pages stay with the process (a few MiB more resident)");
