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
      body: `Message ${n}: ça va? 日本語 ✓`,
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

/**
 * Runs the cases round-robin, many short rounds each, and keeps each case's best round (µs per call):
 * the machine may be shared, and interleaving gives every case the same chance of a quiet moment.
 */
function measure(cases: [string, () => unknown][], rounds = 25, roundMs = 15): Map<string, number> {
  for (const [, fn] of cases) for (let k = 0; k < 300; k++) fn(); // warm up (and let V8 optimise)
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const [label, fn] of cases) {
      let runs = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < roundMs * 1e6) {
        for (let k = 0; k < 10; k++) fn();
        runs += 10;
        elapsed = Number(process.hrtime.bigint() - start);
      }
      best.set(label, Math.min(best.get(label) ?? Infinity, elapsed / runs / 1000));
    }
  }
  for (const [label, micros] of best) console.log(`  ${label.padEnd(42)} ${micros.toFixed(2).padStart(9)} µs/op`);
  return best;
}

for (const [name, value] of [
  ["message PDU", messagePdu(7)],
  ["/send transaction", transaction(50_000)],
] as const) {
  const text = JSON.stringify(value);
  const bytes = Buffer.from(text, "utf8");
  const parsed = JSON.parse(text) as JsonValue;
  console.log(`${name}: ${bytes.length} bytes`);
  const results = measure([
    ["JSON.parse(string)", () => JSON.parse(text)],
    ["JSON.parse(buffer.toString())", () => JSON.parse(bytes.toString("utf8"))],
    ["parseStrictJson(string)", () => parseStrictJson(text)],
    ["parseStrictJson(bytes)", () => parseStrictJson(bytes)],
    ["parseStrictJson(string, lenient)", () => parseStrictJson(text, { mode: "lenient" })],
    ["  of which: check of the parsed text", () => checkParsedText(text, false, 256)],
    ["  of which: key count (duplicate keys)", () => checkKeyCount(parsed, memberCount)],
    ["  alternative: validating scanner alone", () => scanJson(text, { lenient: false, maxDepth: 256, findDuplicates: false })],
    ["  alternative: scanner with key sets", () => scanJson(text, { lenient: false, maxDepth: 256, findDuplicates: true })],
    ["  alternative: own builder (bigint path)", () => buildJson(text)],
  ]);
  const ratio = (a: string, b: string): string => ((results.get(a) as number) / (results.get(b) as number)).toFixed(2);
  console.log(`  ratio string: ${ratio("parseStrictJson(string)", "JSON.parse(string)")}x, bytes: ${ratio("parseStrictJson(bytes)", "JSON.parse(buffer.toString())")}x`);
}
