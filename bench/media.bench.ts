/**
 * Media throughput over HTTP against a server in its own process: uploads (POST /_matrix/media/v3/upload,
 * Content-Length set) and authenticated downloads (GET /_matrix/client/v1/media/download) of a 50 MB
 * file, several rounds each, MB/s as p50 with the range; on SQLite and on PostgreSQL. The server's
 * RSS is read after start, before the rounds (after one smaller warm-up transfer), sampled every
 * 10 ms during the uploads and the downloads (peak), and after the rounds.
 *
 * The client keeps nothing whole: an upload is written chunk by chunk as the socket drains, each chunk
 * a copy of a 1 MiB random block stamped with the round and its offset (so every round is new content
 * and the server's one-file-per-content dedup does not skip the write), and a download only goes
 * through a SHA-256, compared with the hash of what was sent. MB are 10^6 bytes.
 */
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { type BenchServer, percentile, postgresAvailable, registerBenchUser, startBenchServer } from "./harness/server-process.js";

const MB = 1_000_000;
const SIZE = Number(process.env["BENCH_MEDIA_MB"] ?? 50) * MB;
const ROUNDS = Number(process.env["BENCH_MEDIA_ROUNDS"] ?? 5);
const WARM_UP_SIZE = 8 * MB;
const CHUNK = 256 * 1024;
const SAMPLE_MS = 10;
const DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024;

const agent = new http.Agent({ keepAlive: true });
const block = randomBytes(1024 * 1024);

/** The chunks of round `round`'s content: fresh buffers (a socket may still hold the previous one). */
function* content(size: number, round: number): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += CHUNK) {
    const length = Math.min(CHUNK, size - offset);
    const chunk = Buffer.allocUnsafe(length);
    block.copy(chunk, 0, offset % block.length, (offset % block.length) + length);
    if (length >= 8) {
      chunk.writeUInt32LE(round, 0);
      chunk.writeUInt32LE(offset / CHUNK, 4);
    }
    yield chunk;
  }
}

function sha256Of(size: number, round: number): string {
  const hash = createHash("sha256");
  for (const chunk of content(size, round)) hash.update(chunk);
  return hash.digest("hex");
}

/** Streams round `round`'s content as an upload; resolves with the mxc URI. */
function upload(url: string, token: string, size: number, round: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/_matrix/media/v3/upload?filename=bench-${round}.bin`, {
      method: "POST",
      agent,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(size) },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      const parts: Buffer[] = [];
      response.on("data", (part: Buffer) => parts.push(part));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        if (response.statusCode !== 200) return reject(new Error(`upload: ${response.statusCode} ${text}`));
        resolve((JSON.parse(text) as { content_uri: string }).content_uri);
      });
    });
    const chunks = content(size, round);
    const writeMore = (): void => {
      for (;;) {
        const next = chunks.next();
        if (next.done) {
          request.end();
          return;
        }
        if (!request.write(next.value)) {
          request.once("drain", writeMore);
          return;
        }
      }
    };
    writeMore();
  });
}

/** Downloads through the authenticated endpoint, keeping only the SHA-256 and the byte count. */
function download(url: string, token: string, mxc: string): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const path = `/_matrix/client/v1/media/download/${mxc.slice("mxc://".length)}`;
    const request = http.get(`${url}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`download ${path}: ${response.statusCode}`));
      }
      const hash = createHash("sha256");
      let size = 0;
      response.on("data", (part: Buffer) => {
        size += part.length;
        hash.update(part);
      });
      response.on("error", reject);
      response.on("end", () => resolve({ sha256: hash.digest("hex"), size }));
    });
    request.on("error", reject);
  });
}

/** Samples the server's RSS while `task` runs; resolves with the task's result and the peak (MiB). */
async function sampled<T>(server: BenchServer, task: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = server.rssMiB();
  const timer = setInterval(() => {
    peak = Math.max(peak, server.rssMiB());
  }, SAMPLE_MS);
  try {
    const result = await task();
    return { result, peakMiB: Math.max(peak, server.rssMiB()) };
  } finally {
    clearInterval(timer);
  }
}

const rate = (seconds: number): number => SIZE / MB / seconds;
const summary = (rates: number[]): string => {
  const sorted = [...rates].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(0)} MB/s (min ${sorted[0]!.toFixed(0)}, max ${sorted[sorted.length - 1]!.toFixed(0)}; ${sorted.map((r) => r.toFixed(0)).join(" ")})`;
};

async function run(database: "sqlite" | "postgres"): Promise<void> {
  const maxUpload = Math.max(DEFAULT_MAX_UPLOAD, SIZE);
  const server = await startBenchServer(database, maxUpload > DEFAULT_MAX_UPLOAD ? `media: { max_upload_size: ${maxUpload} }\n` : "");
  try {
    await new Promise((r) => setTimeout(r, 500));
    const afterStart = server.rssMiB();
    const token = await registerBenchUser(server.url, "bench");
    // One smaller transfer first: the server's heap, buffers and pools reach their working size, so the
    // rounds measure what moving 50 MB costs, not the process warming up.
    const warm = await upload(server.url, token, WARM_UP_SIZE, 1_000_000);
    await download(server.url, token, warm);
    await new Promise((r) => setTimeout(r, 500));
    const before = server.rssMiB();
    console.log(`${database}: ${SIZE / MB} MB file, ${ROUNDS} rounds; server RSS after start ${afterStart.toFixed(1)} MiB, before the rounds (after an ${WARM_UP_SIZE / MB} MB warm-up) ${before.toFixed(1)} MiB`);

    const uploadRates: number[] = [];
    const downloadRates: number[] = [];
    const uploadPeaks: number[] = [];
    const downloadPeaks: number[] = [];
    let uploadCpu = 0;
    let downloadCpu = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const expected = sha256Of(SIZE, round);

      let cpu = server.cpuMs();
      let started = performance.now();
      const up = await sampled(server, () => upload(server.url, token, SIZE, round));
      uploadRates.push(rate((performance.now() - started) / 1000));
      uploadCpu += server.cpuMs() - cpu;
      uploadPeaks.push(up.peakMiB);

      cpu = server.cpuMs();
      started = performance.now();
      const down = await sampled(server, () => download(server.url, token, up.result));
      downloadRates.push(rate((performance.now() - started) / 1000));
      downloadCpu += server.cpuMs() - cpu;
      downloadPeaks.push(down.peakMiB);
      if (down.result.size !== SIZE || down.result.sha256 !== expected) throw new Error(`round ${round}: the download differs from the upload (${down.result.size} bytes)`);
    }
    const after = server.rssMiB();
    await new Promise((r) => setTimeout(r, 2000));
    const settled = server.rssMiB();

    const peakUp = Math.max(...uploadPeaks);
    const peakDown = Math.max(...downloadPeaks);
    const cpuPerMb = (ms: number): string => (ms / ((ROUNDS * SIZE) / MB)).toFixed(2);
    console.log(`  upload:   ${summary(uploadRates)}, server CPU ${cpuPerMb(uploadCpu)} ms per MB`);
    console.log(`  download: ${summary(downloadRates)}, server CPU ${cpuPerMb(downloadCpu)} ms per MB`);
    console.log(`  server RSS peak during uploads ${peakUp.toFixed(1)} MiB (+${(peakUp - before).toFixed(1)}), per round ${uploadPeaks.map((p) => p.toFixed(1)).join(" ")}`);
    console.log(`  server RSS peak during downloads ${peakDown.toFixed(1)} MiB (+${(peakDown - before).toFixed(1)}), per round ${downloadPeaks.map((p) => p.toFixed(1)).join(" ")}`);
    console.log(`  server RSS after the rounds ${after.toFixed(1)} MiB (+${(after - before).toFixed(1)}), 2 s later ${settled.toFixed(1)} MiB`);
  } finally {
    await server.stop();
  }
}

// BENCH_DATABASES=sqlite (or postgres) narrows the run to one database.
const databases = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
if (databases.includes("sqlite")) await run("sqlite");
if (databases.includes("postgres")) {
  if (await postgresAvailable()) await run("postgres");
  else console.log("postgres: not reachable, skipped");
}
agent.destroy();
