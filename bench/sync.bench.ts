/**
 * /sync against a server in its own process, on SQLite and on PostgreSQL. Prints figures, asserts none.
 *
 * 1. Delivery fan-out: 100 members of one room long-poll /sync; another member sends a message. A
 *    sample is the time from the moment the send request is issued to the moment one member's
 *    long-poll response carrying that message has fully arrived (p50, p99 over all members and rounds).
 *    Every round starts with all 100 long-polls waiting on the server. The same rounds against a bare
 *    node:http server that only holds and answers (harness/calibration.ts) print the floor beside it.
 * 2. Idle connections: BENCH_IDLE_CONNECTIONS (10 000) long-polls held open at once, by users who are
 *    each in one of 20 rooms; prints the server's RSS (from /proc/<pid>/status) before and with them,
 *    right after each step and again once the server was quiet for BENCH_IDLE_SETTLE_MS (25 s: V8's
 *    memory reducer looks every 8 s and often waits a second look before it collects).
 *    Needs an fd limit above the connection count in both processes: the bench re-runs itself under
 *    `ulimit -n` set to the hard limit when the soft one is too low (or run `ulimit -n 30000` first).
 * 3. Initial sync of a user in BENCH_ROOMS (500) rooms, each with a few members and messages:
 *    p50 and p99 over repeated initial syncs (default filter, and with lazy-loaded members).
 *
 * BENCH_SYNC_ONLY=fanout,idle,initial and BENCH_DATABASES=sqlite,postgres narrow the run.
 * The client side uses node:http with one keep-alive agent (bench/harness/lean-client.ts) rather than
 * fetch, so its own costs stay small next to the server's.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { percentile, postgresAvailable, startBenchServer, type BenchServer } from "./harness/server-process.js";
import { inBatches, LeanClient } from "./harness/lean-client.js";
import { fanoutRounds, meanRoundCpu } from "./harness/fanout-rounds.js";
import { bareFanout } from "./harness/calibration.js";

const FANOUT_MEMBERS = Number(process.env["BENCH_FANOUT_MEMBERS"] ?? 100);
const FANOUT_ROUNDS = Number(process.env["BENCH_FANOUT_ROUNDS"] ?? 60);
const IDLE_CONNECTIONS = Number(process.env["BENCH_IDLE_CONNECTIONS"] ?? 10_000);
const IDLE_PER_USER = 5;
const SETTLE_MS = Number(process.env["BENCH_IDLE_SETTLE_MS"] ?? 25_000);
const INITIAL_ROOMS = Number(process.env["BENCH_ROOMS"] ?? 500);
const INITIAL_REPEATS = Number(process.env["BENCH_INITIAL_REPEATS"] ?? 20);
const ONLY = (process.env["BENCH_SYNC_ONLY"] ?? "fanout,idle,initial").split(",");

// The idle scenario needs one descriptor per connection in this process and in the server.
const FD_NEEDED = IDLE_CONNECTIONS + 2000;
if (ONLY.includes("idle") && process.env["BENCH_SYNC_ULIMIT_SET"] === undefined) {
  const soft = Number(spawnSync("sh", ["-c", "ulimit -Sn"], { encoding: "utf8" }).stdout.trim());
  if (Number.isFinite(soft) && soft < FD_NEEDED) {
    const rerun = spawnSync("sh", ["-c", `ulimit -n "$(ulimit -Hn)" && exec "$@"`, "sh", process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, BENCH_SYNC_ULIMIT_SET: "1" },
    });
    process.exit(rerun.status ?? 1);
  }
}

const SYNC = "/_matrix/client/v3/sync";
const OFFLINE = "&set_presence=offline";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = (n: number): string => `${n.toFixed(2)} ms`;

function summary(samples: number[]): string {
  samples.sort((a, b) => a - b);
  return `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}, max ${ms(samples[samples.length - 1] ?? NaN)} (n=${samples.length})`;
}

async function createRoom(client: LeanClient, token: string, body: Record<string, unknown> = { preset: "public_chat" }): Promise<string> {
  return (await client.json<{ room_id: string }>("POST", "/_matrix/client/v3/createRoom", token, body)).room_id;
}

async function join(client: LeanClient, token: string, roomId: string): Promise<void> {
  await client.json("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, token, {});
}

async function sendText(client: LeanClient, token: string, roomId: string, txn: string, body: string): Promise<void> {
  await client.json("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, token, { msgtype: "m.text", body });
}

async function nextBatch(client: LeanClient, token: string, since?: string, extra = ""): Promise<string> {
  const query = (since === undefined ? "?timeout=0" : `?timeout=0&since=${since}`) + extra;
  return (await client.json<{ next_batch: string }>("GET", `${SYNC}${query}`, token)).next_batch;
}

async function fanout(server: BenchServer, client: LeanClient, label: string): Promise<void> {
  const tokens = await inBatches(
    Array.from({ length: FANOUT_MEMBERS + 1 }, (_, i) => i),
    16,
    (i) => client.register(`fan${i}`),
  );
  const sender = tokens[0] as string;
  const members = tokens.slice(1);
  const roomId = await createRoom(client, sender);
  await inBatches(members, 8, (token) => join(client, token, roomId));
  const since = await inBatches(members, 16, (token) => nextBatch(client, token));
  // Settle: presence and the joins have reached everyone before the rounds start.
  await sleep(500);
  for (let i = 0; i < members.length; i++) since[i] = await nextBatch(client, members[i] as string, since[i]);

  const samples = await fanoutRounds(
    { client, syncPath: SYNC, members, since, send: (marker, round) => sendText(client, sender, roomId, `t${round}`, marker), cpuMs: () => server.cpuMs() },
    FANOUT_ROUNDS,
  );
  console.log(`  ${label}: send response ${summary(samples.sendLatency)}`);
  console.log(`  ${label}: delivery to ${members.length} long-polling members, send issued -> response arrived: ${summary(samples.delivery)}`);
  const cpuPerRound = meanRoundCpu(samples);
  console.log(`  ${label}: server CPU per round (the send and ${members.length} answers): ${cpuPerRound.toFixed(1)} ms, ${((cpuPerRound / members.length) * 1000).toFixed(0)} µs per member`);
  console.log(`  ${label}: RSS after fan-out ${server.rssMiB().toFixed(1)} MiB`);
  // The floor here, now: the same rounds against a server that does nothing but hold and answer.
  const bare = await bareFanout(members.length, FANOUT_ROUNDS);
  console.log(`  ${label}: machine: a bare node:http server holding the same long-polls, same rounds: delivery ${summary(bare.delivery)}, server CPU per round ${meanRoundCpu(bare).toFixed(1)} ms`);
}

async function idle(server: BenchServer, client: LeanClient, label: string): Promise<void> {
  const users = Math.ceil(IDLE_CONNECTIONS / IDLE_PER_USER);
  const start = performance.now();
  const tokens = await inBatches(
    Array.from({ length: users }, (_, i) => i),
    32,
    (i) => client.register(`idle${i}`),
  );
  const rooms: string[] = [];
  for (let r = 0; r < 20; r++) rooms.push(await createRoom(client, tokens[r] as string));
  await inBatches(tokens.slice(20), 16, (token, i) => join(client, token, rooms[i % rooms.length] as string));
  // The idle clients sync with set_presence=offline: otherwise each user coming online is news for its
  // hundred room-mates, and 10 000 polls opened at once answer each other's presence for minutes (a
  // reconnect storm, measured by the fan-out runs) instead of waiting, which is what is measured here.
  const since = await inBatches(tokens, 32, (token) => nextBatch(client, token, undefined, OFFLINE));
  console.log(`  ${label}: ${users} users set up in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  await sleep(1000);
  const before = server.rssMiB();
  // V8 returns the garbage of a burst of work to the system once the process has been quiet a while
  // (its memory reducer, after about 8 s): the settled figure is what an idle server holds.
  await sleep(SETTLE_MS);
  const beforeSettled = server.rssMiB();

  let stopping = false;
  let wokenAt = 0;
  const answeredAfterWake: number[] = [];
  let open = 0;
  let resets = 0;
  const polls: Promise<void>[] = [];
  const poll = async (token: string, from: string): Promise<void> => {
    let position = from;
    while (!stopping) {
      const res = await client.send("GET", `${SYNC}?timeout=55000&since=${position}${OFFLINE}`, token).catch(() => undefined);
      if (!res) {
        resets++; // a connection refused or reset while the server was flooded: open it again
        await sleep(200);
        continue;
      }
      if (res.status !== 200) throw new Error(`sync ${res.status} ${res.body}`);
      position = (JSON.parse(res.body) as { next_batch: string }).next_batch;
      if (stopping) answeredAfterWake.push(res.arrivedAt - wokenAt);
    }
  };
  const socketsBefore = server.openSockets();
  const openStart = performance.now();
  for (let c = 0; c < IDLE_CONNECTIONS; c++) {
    const user = c % users;
    polls.push(poll(tokens[user] as string, since[user] as string));
    open++;
    // Open in steps so the listen backlog is never overrun.
    if (c % 100 === 99) await sleep(100);
  }
  // A connection refused while the listen backlog was full is retried by the kernel after growing
  // back-offs: the figures below are taken only once the server holds every connection.
  for (let waited = 0; waited < 120 && server.openSockets() - socketsBefore < IDLE_CONNECTIONS * 0.99; waited++) await sleep(1000);
  await sleep(3000);
  const openSeconds = (performance.now() - openStart) / 1000;
  const accepted = server.openSockets() - socketsBefore;
  const held: number[] = [];
  for (let i = 0; i < 5; i++) {
    held.push(server.rssMiB());
    await sleep(1000);
  }
  await sleep(SETTLE_MS);
  const heldSettled = server.rssMiB();
  console.log(
    `  ${label}: RSS before ${before.toFixed(1)} MiB, with ${open} idle long-polls ${Math.max(...held).toFixed(1)} MiB ` +
      `(${(((Math.max(...held) - before) * 1024) / open).toFixed(1)} KiB per connection; ${accepted} held by the server after ${openSeconds.toFixed(1)} s, ${resets} reopened)`,
  );
  console.log(
    `  ${label}: settled (${SETTLE_MS / 1000} s quiet): RSS before ${beforeSettled.toFixed(1)} MiB, with the ${open} long-polls ${heldSettled.toFixed(1)} MiB ` +
      `(${(((heldSettled - beforeSettled) * 1024) / open).toFixed(1)} KiB per connection)`,
  );
  if (process.env["BENCH_IDLE_HEAP_SIGNAL"]) {
    // With BENCH_SERVER_NODE_ARGS="--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp": what the connections hold.
    process.kill(server.pid, process.env["BENCH_IDLE_HEAP_SIGNAL"] as NodeJS.Signals);
    await sleep(Number(process.env["BENCH_IDLE_HEAP_WAIT_MS"] ?? 20_000));
  }
  // Wake them all (each user's room gets a message) so the polls finish, then stop.
  stopping = true;
  wokenAt = performance.now();
  for (let r = 0; r < rooms.length; r++) await sendText(client, tokens[r] as string, rooms[r] as string, "wake", "wake up");
  await Promise.all(polls);
  console.log(`  ${label}: ${open} long-polls woken by ${rooms.length} sends (one per room), answered after the first send: ${summary(answeredAfterWake)}`);
}

async function initial(server: BenchServer, client: LeanClient, label: string): Promise<void> {
  const start = performance.now();
  const [user, ...others] = await inBatches([0, 1, 2, 3, 4], 5, (i) => client.register(`init${i}`));
  const rooms = await inBatches(
    Array.from({ length: INITIAL_ROOMS }, (_, i) => i),
    4,
    async (i) => {
      const roomId = await createRoom(client, user as string, { preset: "public_chat", name: `Room ${i}`, topic: `Topic of room ${i}` });
      const other = others[i % others.length] as string;
      await join(client, other, roomId);
      for (let m = 0; m < 3; m++) await sendText(client, m % 2 === 0 ? (user as string) : other, roomId, `m${m}`, `message ${m} in room ${i}`);
      return roomId;
    },
  );
  console.log(`  ${label}: ${rooms.length} rooms set up in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  // Before each measured sync an event elsewhere moves the stream on, so that no sync is answered
  // from what the previous one left in the server's per-position memo.
  const elsewhere = await createRoom(client, others[0] as string);
  let nudges = 0;
  const lazy = encodeURIComponent(JSON.stringify({ room: { state: { lazy_load_members: true } } }));
  for (const [name, query] of [
    ["default filter", "?timeout=0"],
    ["lazy_load_members", `?timeout=0&filter=${lazy}`],
  ] as const) {
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < INITIAL_REPEATS + 2; i++) {
      await sendText(client, others[0] as string, elsewhere, `nudge${nudges++}`, "moving the stream on");
      const t = performance.now();
      const res = await client.send("GET", `${SYNC}${query}`, user as string);
      if (res.status !== 200) throw new Error(`sync ${res.status} ${res.body}`);
      const joined = Object.keys((JSON.parse(res.body) as { rooms: { join: Record<string, unknown> } }).rooms.join).length;
      if (joined !== rooms.length) throw new Error(`initial sync has ${joined} rooms, expected ${rooms.length}`);
      if (i >= 2) samples.push(res.arrivedAt - t);
      bytes = res.body.length;
    }
    console.log(`  ${label}: initial sync in ${rooms.length} rooms, ${name}: ${summary(samples)}, ${(bytes / 1024).toFixed(0)} KiB`);
  }
  console.log(`  ${label}: RSS after initial syncs ${server.rssMiB().toFixed(1)} MiB`);
}

async function run(database: "sqlite" | "postgres"): Promise<void> {
  const scenarios = { fanout, idle, initial };
  for (const name of ONLY) {
    const scenario = scenarios[name as keyof typeof scenarios];
    if (!scenario) continue;
    // A fresh server per scenario, so one scenario's data and memory do not colour the next.
    const server = await startBenchServer(database, process.env["BENCH_SYNC_EXTRA_YAML"] ?? "");
    const client = new LeanClient(server.url);
    try {
      await sleep(300);
      await scenario(server, client, `${database} ${name}`);
      // The machine may be shared: the load says how much the figures above had to compete for the CPUs.
      console.log(`  ${database} ${name}: load average after ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    } finally {
      client.close();
      await server.stop();
    }
  }
}

const DATABASES = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
if (DATABASES.includes("sqlite")) await run("sqlite");
if (DATABASES.includes("postgres")) {
  if (await postgresAvailable()) await run("postgres");
  else console.log("postgres: not reachable, skipped");
}
