// A test reporter that records every failed test, with its file and the first lines of its error, in
// the file named by TEST_FAILURE_LOG; scripts/run-tests.mjs prints that list when the run ends.
// The TAP stream of thousands of tests is long and CI keeps only part of it, so the failures come
// last. Each is written as it happens: --test-force-exit ends the run without ending the reporters.
import { appendFileSync } from "node:fs";

export default async function* failureSummary(source) {
  const destination = process.env.TEST_FAILURE_LOG;
  for await (const event of source) {
    if (event.type !== "test:fail" || !destination) continue;
    const { name, file, details } = event.data;
    const error = details?.error;
    // A suite fails when a test in it fails; the test itself is listed already.
    if (error?.failureType === "subtestsFailed") continue;
    const cause = error?.cause ?? error;
    const message = String(cause?.stack ?? cause?.message ?? cause ?? "")
      .split("\n")
      .slice(0, 8)
      .join("\n    ");
    appendFileSync(destination, `- ${name}${file ? ` (${file})` : ""}\n    ${message}\n`);
  }
  yield "";
}
