// Runs every bench/**/*.bench.ts one after another (so they do not compete for CPU) and prints figures.
// Arguments narrow the run to files whose path contains one of them: `npm run bench -- signing`.
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { findFiles } from "./find-files.mjs";

const filters = process.argv.slice(2);
const files = findFiles("bench", ".bench.ts").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
let failed = false;
for (const file of files) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", file], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
