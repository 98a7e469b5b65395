/**
 * How fast this machine is right now, for reading the figures next to it: the round trip of a PUT to a
 * bare node:http server in its own process (reads the body, parses it as JSON, answers a small JSON
 * object), by the same client the benchmarks use. It is the ceiling for any sequential request on this
 * machine at this moment. Virtual machines here vary by a third from minute to minute, and
 * machines of the same kind by more, so a figure means something only beside this one.
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
import { api, percentile, timedSequence } from "./server-process.js";

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

export interface Calibration {
  perSecond: number;
  p50Ms: number;
}

export async function bareHttpRoundTrip(count = 3000): Promise<Calibration> {
  const child = spawn(process.execPath, ["-e", BARE_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
    });
    const url = `http://127.0.0.1:${port}`;
    const send = (i: number): Promise<unknown> => api(url, "token", "PUT", `/_matrix/client/v3/rooms/!r:x/send/m.room.message/c${i}`, { msgtype: "m.text", body: `message number ${i} with some text in it` });
    for (let i = 0; i < 300; i++) await send(i);
    const { samples, perSecond } = await timedSequence(count, send);
    samples.sort((a, b) => a - b);
    return { perSecond, p50Ms: percentile(samples, 50) };
  } finally {
    child.kill();
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
  const { perSecond, p50Ms } = await bareHttpRoundTrip();
  console.log(`machine ${when}: a bare node:http server answers sequential PUTs at ${perSecond.toFixed(0)}/s, p50 ${p50Ms.toFixed(2)} ms (the ceiling for any sequential request here, now); a durable 8 KiB write (fdatasync) takes ${durableWriteMicros().toFixed(0)} µs (p50)`);
}
