/**
 * Message sends over HTTP against a server in its own process: sequential sends by one client in one
 * room (rate, p50, p99), and 50 clients at once in 50 rooms and in one shared room; on SQLite and on
 * PostgreSQL. Prints the server's RSS after start and after the runs.
 *
 * The runs measure a warmed-up server: before them one client sends BENCH_WARMUP messages (3 000) in a
 * room of its own, printed as the cold figure; and before the concurrent runs the 50 clients send once
 * in their rooms (BENCH_PER_CLIENT each), printed as the concurrent cold figure. The first concurrent run
 * after sequential ones measured 2 700-2 900 events/s where the same run repeated measured 5 000-5 400
 * (the engine compiling the paths that only many sends at once take: group commits of many
 * transactions, the round's queue). Right after start the JavaScript engine is still
 * compiling the send path: on the test VM three runs of 3 000 sequential sends measured 699, 767 and
 * 832 per second one after another, so a run straight after start measures the compiler as much as the
 * server.
 *
 * Before and after the runs it prints how fast a bare node:http server answers the same PUTs on this
 * machine at that moment (harness/calibration.ts): the ceiling the sequential figures are read against.
 */
import { api, type BenchServer, percentile, postgresAvailable, registerBenchUser, startBenchServer, timedSequence } from "./harness/server-process.js";
import { printCalibration } from "./harness/calibration.js";

const SEQUENTIAL = Number(process.env["BENCH_SEQUENTIAL"] ?? 2000);
const CONCURRENT_CLIENTS = 50;
const PER_CLIENT = Number(process.env["BENCH_PER_CLIENT"] ?? 100);
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 3000);

async function sequential(server: BenchServer, token: string, roomId: string, label: string, count = SEQUENTIAL): Promise<void> {
  const url = server.url;
  const room = encodeURIComponent(roomId);
  for (let i = 0; i < 100; i++) await api(url, token, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/warm-${label}-${i}`, { msgtype: "m.text", body: "warm" });
  const cpuBefore = server.cpuMs();
  const { samples: latencies, perSecond } = await timedSequence(count, (i) =>
    api(url, token, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/s-${label}-${i}`, { msgtype: "m.text", body: `message number ${i} with some text in it` }),
  );
  latencies.sort((a, b) => a - b);
  const cpuPerSend = (server.cpuMs() - cpuBefore) / count;
  console.log(
    `  sequential sends, 1 client, ${label}: ${perSecond.toFixed(0)}/s, p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, server CPU ${cpuPerSend.toFixed(3)} ms per send`,
  );
}

async function concurrent(server: BenchServer, clients: { token: string; roomId: string }[], label: string): Promise<void> {
  const url = server.url;
  const cpuBefore = server.cpuMs();
  const start = performance.now();
  await Promise.all(
    clients.map(async ({ token, roomId }, c) => {
      const room = encodeURIComponent(roomId);
      for (let i = 0; i < PER_CLIENT; i++) {
        await api(url, token, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/${label}-${c}-${i}`, { msgtype: "m.text", body: `hello ${i}` });
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpuPerSend = (server.cpuMs() - cpuBefore) / (clients.length * PER_CLIENT);
  console.log(`  ${CONCURRENT_CLIENTS} clients at once, ${label}: ${((clients.length * PER_CLIENT) / seconds).toFixed(0)} events/s, server CPU ${cpuPerSend.toFixed(3)} ms per send`);
}

async function run(database: "sqlite" | "postgres"): Promise<void> {
  const server = await startBenchServer(database);
  try {
    await new Promise((r) => setTimeout(r, 500));
    console.log(`${database}: RSS after start ${server.rssMiB().toFixed(1)} MiB`);
    const tokens: string[] = [];
    for (let i = 0; i < CONCURRENT_CLIENTS; i++) tokens.push(await registerBenchUser(server.url, `user${i}`));
    const owner = tokens[0] as string;
    const { room_id: shared } = await api<{ room_id: string }>(server.url, owner, "POST", "/_matrix/client/v3/createRoom", { preset: "public_chat" });
    for (const token of tokens.slice(1)) await api(server.url, token, "POST", `/_matrix/client/v3/join/${encodeURIComponent(shared)}`, {});
    const { room_id: alone } = await api<{ room_id: string }>(server.url, owner, "POST", "/_matrix/client/v3/createRoom", {});
    if (WARMUP > 0) {
      const { room_id: warmRoom } = await api<{ room_id: string }>(server.url, owner, "POST", "/_matrix/client/v3/createRoom", {});
      await sequential(server, owner, warmRoom, "warm-up right after start (cold)", WARMUP);
    }
    await sequential(server, owner, alone, "room of 1 member");
    await sequential(server, owner, shared, `room of ${CONCURRENT_CLIENTS} members`);
    const own = [];
    for (const token of tokens) own.push({ token, roomId: (await api<{ room_id: string }>(server.url, token, "POST", "/_matrix/client/v3/createRoom", {})).room_id });
    await concurrent(server, own, "50 rooms, warm-up (cold)");
    await concurrent(server, own, "50 rooms");
    await concurrent(server, tokens.map((token) => ({ token, roomId: shared })), "one shared room");
    console.log(`${database}: RSS after the runs ${server.rssMiB().toFixed(1)} MiB`);
  } finally {
    await server.stop();
  }
}

// BENCH_DATABASES=sqlite (or postgres) narrows the run to one database.
const databases = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
// The machine's own speed before and after, to read the figures against (harness/calibration.ts).
await printCalibration("before");
if (databases.includes("sqlite")) await run("sqlite");
if (databases.includes("postgres")) {
  if (await postgresAvailable()) await run("postgres");
  else console.log("postgres: not reachable, skipped");
}
await printCalibration("after");
