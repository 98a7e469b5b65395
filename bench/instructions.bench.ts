/**
 * Instructions per message send, counted by valgrind's callgrind: a figure that does not move with the
 * machine. The virtual machines here change speed by half within minutes, so two builds timed apart
 * cannot be told apart by less than that. Counted instructions move far less: five runs of one build
 * gave medians of 2 096 to 2 316 k per send (±5 %), and a build that spent an extra transaction per
 * send measured 2 349 and 2 386 k beside 2 135 and 2 163 k for the fix, where timed runs of the same two
 * builds overlapped.
 *
 * The server runs on SQLite under callgrind with V8's helper threads off (`--single-threaded`: the
 * compilers and the garbage collector work on the main thread, at the same points of every run rather
 * than whenever a helper thread gets to it). Warm-up runs uninstrumented, at almost full speed; then windows of requests
 * are counted one by one (`callgrind_control`). A window in which a major garbage collection or a
 * timer's work (moving push actions, checkpoints) happens to land counts more, so the median of the
 * windows is the figure, with the quartiles beside it. Counts are of every instruction the server's
 * process ran (SQLite's included), not time: a system call counts as the instructions around it.
 * Under callgrind the server runs ~50 times slower, so work driven by the clock (staged push actions
 * moved each second, checkpoints each half second, search rows written 100 ms after their event) comes
 * far more often per request than at full speed: compare these figures with each other, build against
 * build, never with the timed benchmarks.
 *
 * Needs valgrind (Debian package `valgrind`); without it the benchmark says so and stops.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, percentile, registerBenchUser, startBenchServer, type BenchServer } from "./harness/server-process.js";

const WARMUP = Number(process.env["BENCH_INSTRUCTIONS_WARMUP"] ?? 2000);
const WINDOWS = Number(process.env["BENCH_INSTRUCTIONS_WINDOWS"] ?? 10);
const PER_WINDOW = Number(process.env["BENCH_INSTRUCTIONS_PER_WINDOW"] ?? 150);

function available(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

/** Counts the instructions `request` makes the server run, in WINDOWS windows; thousands per request, sorted. */
async function countWindows(server: BenchServer, outDir: string, request: (i: number) => Promise<unknown>): Promise<number[]> {
  const control = (...args: string[]): void => void execFileSync("callgrind_control", [...args, String(server.pid)], { stdio: "ignore" });
  const perRequest: number[] = [];
  let n = 0;
  for (let w = 0; w < WINDOWS; w++) {
    control("--zero");
    control("--instr=on");
    for (let i = 0; i < PER_WINDOW; i++) await request(n++);
    control("--instr=off");
    for (const file of readdirSync(outDir)) rmSync(join(outDir, file));
    control("--dump");
    let total = 0;
    for (const file of readdirSync(outDir)) total += Number(/^totals: (\d+)/m.exec(readFileSync(join(outDir, file), "utf8"))?.[1] ?? 0);
    perRequest.push(total / PER_WINDOW / 1000);
  }
  return perRequest.sort((a, b) => a - b);
}

function summary(sorted: readonly number[]): string {
  const k = (p: number): string => `${percentile(sorted, p).toFixed(0)} k`;
  return `median ${k(50)} (quartiles ${k(25)}–${k(75)}, ${sorted.length} windows of ${PER_WINDOW})`;
}

if (!available("valgrind") || !available("callgrind_control")) {
  console.log("valgrind is not installed (Debian package valgrind): instruction counts skipped");
} else {
  const outDir = mkdtempSync(join(tmpdir(), "tessera-callgrind-"));
  const started = performance.now();
  const server = await startBenchServer("sqlite", "", undefined, {
    wrapper: ["valgrind", "--quiet", "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no", "--collect-jumps=no", `--callgrind-out-file=${join(outDir, "out.%p")}`],
    nodeArgs: ["--single-threaded"],
  });
  try {
    console.log(`sqlite under callgrind: started in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const token = await registerBenchUser(server.url, "counted");
    const { room_id: roomId } = await api<{ room_id: string }>(server.url, token, "POST", "/_matrix/client/v3/createRoom", {});
    const room = encodeURIComponent(roomId);
    const send = (label: string) => (i: number) =>
      api(server.url, token, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/${label}-${i}`, { msgtype: "m.text", body: `message number ${i} with some text in it` });
    for (let i = 0; i < WARMUP; i++) await send("warm")(i);
    const sends = await countWindows(server, outDir, send("counted"));
    console.log(`  instructions per sequential message send, room of 1 member: ${summary(sends)}`);
  } finally {
    await server.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}
