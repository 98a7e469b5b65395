// Runs every test/**/*.test.ts with node's built-in test runner (through tsx), so results are counted.
// Arguments narrow the run to files whose path contains one of them: `npm run test:unit -- protocol`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism, tmpdir } from "node:os";
import { findFiles } from "./find-files.mjs";

const filters = process.argv.slice(2);
const files = findFiles("test", ".test.ts").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = Math.max(2, availableParallelism());
const failuresDir = mkdtempSync(join(tmpdir(), "tessera-test-failures-"));
const failuresFile = join(failuresDir, "failures.txt");
// --test-force-exit: a test file whose set-up failed half-way (one of three servers did not start)
// leaves the others running, and its process would then wait for them forever, holding up the whole
// run (and CI) with the failure already reported. Green runs leave nothing behind either way.
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-force-exit",
    // TAP for the whole run, then a list of what failed (kept at the end of CI's log).
    "--test-reporter=tap",
    "--test-reporter-destination=stdout",
    "--test-reporter=./scripts/failure-summary-reporter.mjs",
    "--test-reporter-destination=stdout",
    `--test-concurrency=${concurrency}`,
    "--test-timeout=300000",
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, TEST_FAILURE_LOG: failuresFile } },
);
let failures = "";
try {
  failures = readFileSync(failuresFile, "utf8");
} catch {
  // No test failed.
}
rmSync(failuresDir, { recursive: true, force: true });
if (failures) console.log(`\n# failed:\n${failures}`);
process.exit(result.status ?? 1);
