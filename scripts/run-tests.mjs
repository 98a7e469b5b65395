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
// Not --test-force-exit: with it Node.js 20 drops the results of a file's last tests now and then
// (nodejs/node#64833): they run, but the report counts fewer tests, and a failure among them would
// go unreported (seen here: one file reported 129, 142 or 148 of its 148 tests in runs one after
// another). A test file whose set-up failed half-way (one of three servers did not start) may leave
// the others running, so that its process never exits: the whole run is stopped after RUN_LIMIT_MS
// and fails, the failure itself already reported. Green runs leave nothing behind.
const RUN_LIMIT_MS = 20 * 60 * 1000;
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    // TAP for the whole run, then a list of what failed (kept at the end of CI's log).
    "--test-reporter=tap",
    "--test-reporter-destination=stdout",
    "--test-reporter=./scripts/failure-summary-reporter.mjs",
    "--test-reporter-destination=stdout",
    `--test-concurrency=${concurrency}`,
    "--test-timeout=300000",
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, TEST_FAILURE_LOG: failuresFile }, timeout: RUN_LIMIT_MS, killSignal: "SIGKILL" },
);
if (result.error?.code === "ETIMEDOUT") console.log(`\n# the test run did not end within ${RUN_LIMIT_MS / 60000} minutes: a test file's process kept running after its tests (a server or timer left open); stopped`);
let failures = "";
try {
  failures = readFileSync(failuresFile, "utf8");
} catch {
  // No test failed.
}
rmSync(failuresDir, { recursive: true, force: true });
if (failures) console.log(`\n# failed:\n${failures}`);
process.exit(result.status ?? 1);
