// Strict network JSON parser against JSON.parse, on the two shapes it meets most: one message-event PDU
// (~600 bytes) and a /send transaction (~50 KB). Prints figures; asserts nothing about time.
// Run: node --import tsx bench/json-parse.bench.ts
import { parseStrictJson } from "../src/protocol/strict-json.js";
import { checkKeyCount, checkParsedText, memberCount } from "../src/protocol/strict-json-fast.js";
import { scanJson } from "../src/protocol/strict-json-scan.js";
import { buildJson } from "../src/protocol/strict-json-build.js";
import type { JsonValue } from "../src/protocol/json.js";

function messagePdu(n: number): Record<string, unknown> {
  const hash = (seed: string): string => Buffer.from(`${seed}-${n}`.padEnd(32, "#")).toString("base64url").slice(0, 43);
  return {
    auth_events: [`$${hash("create")}`, `$${hash("power")}`, `$${hash("member")}`],
    content: {
      body: `Message number ${n}: the quick brown fox jumps over the lazy dog. Ça va? 日本語 ✓`,
      msgtype: "m.text",
      "m.mentions": {},
    },
    depth: 1000 + n,
    hashes: { sha256: Buffer.from(`content-hash-${n}`.padEnd(32, "=")).toString("base64").replace(/=+$/, "") },
    origin_server_ts: 1_700_000_000_000 + n * 1337,
    prev_events: [`$${hash("prev")}`],
    room_id: "!OGEhHVWSdvArJzumhm:matrix.org",
    sender: "@alice.example:matrix.org",
    signatures: {
      "matrix.org": {
        "ed25519:a_RXGa": Buffer.from(`signature-${n}`.padEnd(64, "!")).toString("base64").replace(/=+$/, ""),
      },
    },
    type: "m.room.message",
    unsigned: { age_ts: 1_700_000_000_000 + n * 1337 },
  };
}

function transaction(targetBytes: number): Record<string, unknown> {
  const pdus: unknown[] = [];
  const txn = { origin: "matrix.org", origin_server_ts: 1_700_000_000_000, pdus, edus: [] as unknown[] };
  for (let n = 0; JSON.stringify(txn).length < targetBytes; n++) pdus.push(messagePdu(n));
  return txn;
}

/** Best of several rounds, in µs per call: the machine may be shared, and the minimum is the least noisy. */
function measure(label: string, fn: () => unknown, rounds = 7, roundMs = 60): number {
  for (let k = 0; k < 500; k++) fn(); // warm up (and let V8 optimise)
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let runs = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < roundMs * 1e6) {
      for (let k = 0; k < 20; k++) fn();
      runs += 20;
      elapsed = Number(process.hrtime.bigint() - start);
    }
    best = Math.min(best, elapsed / runs / 1000);
  }
  console.log(`  ${label.padEnd(42)} ${best.toFixed(2).padStart(9)} µs/op`);
  return best;
}

for (const [name, value] of [
  ["message PDU", messagePdu(7)],
  ["/send transaction", transaction(50_000)],
] as const) {
  const text = JSON.stringify(value);
  const bytes = Buffer.from(text, "utf8");
  console.log(`${name}: ${bytes.length} bytes`);
  const base = measure("JSON.parse(string)", () => JSON.parse(text));
  const baseBytes = measure("JSON.parse(buffer.toString())", () => JSON.parse(bytes.toString("utf8")));
  const strict = measure("parseStrictJson(string)", () => parseStrictJson(text));
  const strictBytes = measure("parseStrictJson(bytes)", () => parseStrictJson(bytes));
  measure("parseStrictJson(string, lenient)", () => parseStrictJson(text, { mode: "lenient" }));
  const parsed = JSON.parse(text) as JsonValue;
  measure("  of which: check of the parsed text", () => checkParsedText(text, false, 256));
  measure("  of which: key count (duplicate keys)", () => checkKeyCount(parsed, memberCount));
  measure("  alternative: validating scanner alone", () => scanJson(text, { lenient: false, maxDepth: 256, findDuplicates: false }));
  measure("  alternative: scanner with key sets", () => scanJson(text, { lenient: false, maxDepth: 256, findDuplicates: true }));
  measure("  alternative: own builder (bigint path)", () => buildJson(text));
  console.log(`  ratio string: ${(strict / base).toFixed(2)}x, bytes: ${(strictBytes / baseBytes).toFixed(2)}x`);
}
