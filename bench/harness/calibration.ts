/**
 * How fast this machine is right now, for reading the figures next to it: the round trip of a PUT to a
 * bare node:http server in its own process (reads the body, parses it as JSON, answers a small JSON
 * object), by the same client the benchmarks use. It is the ceiling for any sequential request on this
 * machine at this moment. Virtual machines here vary by a third from minute to minute, and
 * machines of the same kind by more, so a figure means something only beside this one.
 *
 * For the delivery fan-out, `bareFanout`: the same rounds as the /sync benchmark against a bare
 * node:http server that holds the long-polls and answers them all with one ready-made body of the
 * size Tessera sends. No server can deliver faster on this machine with this load generator, which
 * receives and re-polls the answers in one process.
 *
 * The same PUTs from 50 clients at once are the ceiling for the concurrent send runs.
 *
 * Also the time of a durable 8 KiB write (write + fdatasync, in the temporary directory): what every
 * PostgreSQL commit waits for (it flushes its WAL so), and SQLite's with `synchronous: full`. The disk
 * of these machines took from 150 to 420 µs per flush within one day, which moves the PostgreSQL
 * figures with it.
 */
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, percentile, processCpuMs, timedSequence } from "./server-process.js";
import { fanoutRounds, type FanoutSamples } from "./fanout-rounds.js";
import { LeanClient } from "./lean-client.js";

const BARE_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify({ event_id: "$bare0123456789abcdefghijklmnopqrstuvwxyzABCDEF" });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

// Holds every GET whose \`since\` is the latest round; a PUT starts a round (its body's marker goes into
// the answer, ~800 bytes like a /sync answer carrying one message) and answers all that wait.
const BARE_LONG_POLL_SERVER = `
const http = require("node:http");
let waiting = [];
let round = 0;
let answer = "";
const respond = (res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
  res.end(answer);
};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    if (req.method === "PUT") {
      const { body } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      round++;
      answer = JSON.stringify({ next_batch: String(round), rooms: { join: { "!room:localhost": { timeline: { events: [{ type: "m.room.message", content: { msgtype: "m.text", body }, padding: "x".repeat(640) }] } } } } });
      const woken = waiting;
      waiting = [];
      res.end("{}");
      for (const w of woken) respond(w);
      return;
    }
    const since = Number(new URL(req.url, "http://localhost").searchParams.get("since"));
    if (since < round) respond(res);
    else waiting.push(res);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

async function spawnBare(source: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number, stop: () => child.kill() };
}

/** The fan-out's rounds against the bare long-poll server: the floor for the /sync fan-out here, now. */
export async function bareFanout(members: number, rounds: number): Promise<FanoutSamples> {
  const bare = await spawnBare(BARE_LONG_POLL_SERVER);
  const client = new LeanClient(bare.url);
  try {
    const tokens = Array.from({ length: members }, (_, i) => `member${i}`);
    return await fanoutRounds(
      { client, syncPath: "/sync", members: tokens, since: tokens.map(() => "0"), send: async (marker) => void (await client.send("PUT", "/send", "sender", { body: marker })), cpuMs: () => processCpuMs(bare.pid) },
      rounds,
    );
  } finally {
    client.close();
    bare.stop();
  }
}

export interface Calibration {
  perSecond: number;
  p50Ms: number;
  /** 50 clients sending at once, as the send benchmark's concurrent runs do. */
  concurrentPerSecond: number;
}

export async function bareHttpRoundTrip(count = 3000): Promise<Calibration> {
  const bare = await spawnBare(BARE_SERVER);
  try {
    const url = bare.url;
    const send = (i: number): Promise<unknown> => api(url, "token", "PUT", `/_matrix/client/v3/rooms/!r:x/send/m.room.message/c${i}`, { msgtype: "m.text", body: `message number ${i} with some text in it` });
    for (let i = 0; i < 300; i++) await send(i);
    const { samples, perSecond } = await timedSequence(count, send);
    samples.sort((a, b) => a - b);
    const clients = 50;
    const perClient = Math.ceil(count / clients);
    const start = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) await send(count + c * perClient + i);
      }),
    );
    const concurrentPerSecond = (clients * perClient) / ((performance.now() - start) / 1000);
    return { perSecond, p50Ms: percentile(samples, 50), concurrentPerSecond };
  } finally {
    bare.stop();
  }
}

/** Median microseconds of a durable 8 KiB write (write, then fdatasync) to a file in the temporary directory. */
export function durableWriteMicros(count = 200): number {
  const dir = mkdtempSync(join(tmpdir(), "tessera-flush-"));
  const fd = openSync(join(dir, "flush"), "w");
  try {
    const page = Buffer.alloc(8192, 1);
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      writeSync(fd, page, 0, page.length, (i % 16) * page.length);
      fdatasyncSync(fd);
      samples.push((performance.now() - start) * 1000);
    }
    samples.sort((a, b) => a - b);
    return percentile(samples, 50);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function printCalibration(when: string): Promise<void> {
  const { perSecond, p50Ms, concurrentPerSecond } = await bareHttpRoundTrip();
  console.log(`machine ${when}: a bare node:http server answers sequential PUTs at ${perSecond.toFixed(0)}/s, p50 ${p50Ms.toFixed(2)} ms (the ceiling for any sequential request here, now), and 50 clients at once at ${concurrentPerSecond.toFixed(0)}/s; a durable 8 KiB write (fdatasync) takes ${durableWriteMicros().toFixed(0)} µs (p50)`);
}
