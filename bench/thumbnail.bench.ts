/**
 * Thumbnail latency over HTTP for a 12-megapixel JPEG (4000x3000), against a server in its own
 * process: the first request of a size (decode, resize, encode, write, record) and cached requests of
 * it (served from its file), for the default sizes 800x600 scale and 96x96 crop. Each first-time
 * sample is a fresh upload (a new media ID, so nothing is cached). Prints p50 and the worst or p99,
 * and the server's RSS. SQLite only: the database's share of either path is one small row.
 */
import http from "node:http";
import sharp from "sharp";
import { percentile, registerBenchUser, startBenchServer } from "./harness/server-process.js";

const FIRST_SAMPLES = Number(process.env["BENCH_THUMBNAIL_FIRST"] ?? 8);
const CACHED_SAMPLES = Number(process.env["BENCH_THUMBNAIL_CACHED"] ?? 300);
const agent = new http.Agent({ keepAlive: true });

/** A photo-like 4000x3000 JPEG: smooth gradients with per-pixel noise, so it compresses like a photo. */
async function photo(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let i = 0, p = 0; p < width * height; p++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed >> 16) & 31;
    const x = p % width;
    const y = (p / width) | 0;
    raw[i++] = ((x * 200) / width + noise) | 0;
    raw[i++] = ((y * 200) / height + noise) | 0;
    raw[i++] = (((x + y) * 100) / (width + height) + noise) | 0;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function request(url: string, token: string, method: string, body?: Buffer): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "image/jpeg", "content-length": body.length } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const data = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, bytes: data.length, text: response.headers["content-type"]?.startsWith("application/json") ? data.toString("utf8") : "" });
      });
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function timed(url: string, token: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const answer = await request(url, token, "GET");
  if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${answer.text}`);
  return { ms: performance.now() - started, bytes: answer.bytes };
}

const format = (values: number[], worst: boolean): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, ${worst ? `max ${sorted[sorted.length - 1]!.toFixed(1)}` : `p99 ${percentile(sorted, 99).toFixed(2)}`} ms`;
};

const server = await startBenchServer("sqlite");
try {
  const token = await registerBenchUser(server.url, "bench");
  const jpeg = await photo();
  console.log(`source: 4000x3000 JPEG, ${(jpeg.length / 1e6).toFixed(1)} MB; server RSS after start ${server.rssMiB().toFixed(1)} MiB`);
  const sizes = [
    ["800x600 scale", "width=800&height=600&method=scale"],
    ["96x96 crop", "width=96&height=96&method=crop"],
  ] as const;
  for (const [label, query] of sizes) {
    const first: number[] = [];
    const cached: number[] = [];
    let thumbnailBytes = 0;
    let lastUrl = "";
    for (let i = 0; i < FIRST_SAMPLES; i++) {
      const uploaded = await request(`${server.url}/_matrix/media/v3/upload`, token, "POST", jpeg);
      const uri = (JSON.parse(uploaded.text) as { content_uri: string }).content_uri.slice("mxc://".length);
      lastUrl = `${server.url}/_matrix/client/v1/media/thumbnail/${uri}?${query}`;
      const sample = await timed(lastUrl, token);
      first.push(sample.ms);
      thumbnailBytes = sample.bytes;
    }
    for (let i = 0; i < CACHED_SAMPLES; i++) cached.push((await timed(lastUrl, token)).ms);
    console.log(`  ${label} (${(thumbnailBytes / 1024).toFixed(0)} KiB): first ${format(first, true)} (${FIRST_SAMPLES} uploads); cached ${format(cached, false)} (${CACHED_SAMPLES} requests)`);
  }
  console.log(`server RSS after the runs ${server.rssMiB().toFixed(1)} MiB`);
} finally {
  await server.stop();
}
