/**
 * Push delivery against a server in its own process, with a push gateway in this process on loopback;
 * on SQLite and on PostgreSQL. Prints figures, asserts none (beyond counting what arrived).
 *
 * One room of BENCH_PUSH_MEMBERS (200) members; one member sends messages one after another, each of
 * which notifies the 199 others (`.m.rule.message`):
 * 1. send latency without pushers and with the 199 others' pushers at a gateway that answers after
 *    BENCH_PUSH_SLOW_MS (2000 ms), in BENCH_PUSH_ROUNDS (4) alternating rounds of BENCH_PUSH_SENDS
 *    (50) sends each (pushers set before a slow round, deleted after it), so that a machine whose
 *    load drifts during the run weighs on both alike; each round's first message (whose pushes then
 *    wait on the slow gateway) is not measured; p50/p99 and the server's CPU per send;
 * 2. the pushers set again and BENCH_PUSH_BACKLOG (200) sends while the gateway is slow, then the
 *    gateway turns fast: notifications/s while the server drains that backlog (199 x 200), and the
 *    server's CPU per notification;
 * 3. the gateway stays fast: 200 sends again, each delivered to 199 pushers while the next is sent:
 *    send latency, notifications/s and the delay from a send to its pushes' arrival.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { inBatches, LeanClient } from "./harness/lean-client.js";
import { percentile, postgresAvailable, startBenchServer, type BenchServer } from "./harness/server-process.js";

const MEMBERS = Number(process.env["BENCH_PUSH_MEMBERS"] ?? 200);
const SENDS = Number(process.env["BENCH_PUSH_SENDS"] ?? 50);
const ROUNDS = Number(process.env["BENCH_PUSH_ROUNDS"] ?? 4);
const BACKLOG = Number(process.env["BENCH_PUSH_BACKLOG"] ?? 200);
const SLOW_MS = Number(process.env["BENCH_PUSH_SLOW_MS"] ?? 2000);
const WARMUP = 20;
const V3 = "/_matrix/client/v3";
const NOTIFY = "/_matrix/push/v1/notify";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ms = (n: number): string => `${n.toFixed(2)} ms`;

function latencies(samples: number[]): string {
  samples.sort((a, b) => a - b);
  return `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}, max ${ms(samples[samples.length - 1] ?? NaN)} (n=${samples.length})`;
}

/** Counts notifications by event; answers after `delayMs` (0: at once). */
class Gateway {
  delayMs = 0;
  /** Answers held back by the delay. */
  private readonly held = new Set<() => void>();
  /** performance.now() of each event's pushes' arrivals, by event ID. */
  readonly arrivals = new Map<string, number[]>();
  private readonly server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const { notification } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { notification: { event_id?: string } };
      if (notification.event_id !== undefined) {
        let list = this.arrivals.get(notification.event_id);
        if (!list) this.arrivals.set(notification.event_id, (list = []));
        list.push(performance.now());
      }
      const answer = (): void => {
        clearTimeout(timer);
        if (!this.held.delete(answer)) return;
        res.writeHead(200, { "content-type": "application/json" }).end('{"rejected":[]}');
      };
      this.held.add(answer);
      const timer = this.delayMs > 0 ? setTimeout(answer, this.delayMs) : undefined;
      if (timer === undefined) answer();
    });
  });

  /** Answers at once from now on, and answers what was held back. */
  fast(): void {
    this.delayMs = 0;
    for (const answer of [...this.held]) answer();
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${NOTIFY}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** How many pushes of these events arrived. */
function pushesOf(gateway: Gateway, eventIds: Iterable<string>): number {
  let n = 0;
  for (const eventId of eventIds) n += gateway.arrivals.get(eventId)?.length ?? 0;
  return n;
}

async function waitForPushes(gateway: Gateway, eventIds: readonly string[], count: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (pushesOf(gateway, eventIds) < count) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** Sequential sends; returns each send's latency and, by event ID, when it was sent. */
async function sends(client: LeanClient, token: string, roomId: string, label: string, count: number): Promise<{ latencies: number[]; sentAt: Map<string, number> }> {
  const room = encodeURIComponent(roomId);
  const out: number[] = [];
  const sentAt = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const { event_id } = await client.json<{ event_id: string }>("PUT", `${V3}/rooms/${room}/send/m.room.message/${label}-${i}`, token, { msgtype: "m.text", body: `message ${i} of ${label}` });
    out.push(performance.now() - start);
    sentAt.set(event_id, start);
  }
  return { latencies: out, sentAt };
}

async function run(database: "sqlite" | "postgres"): Promise<void> {
  const gateway = new Gateway();
  const url = await gateway.start();
  const server: BenchServer = await startBenchServer(database, "push: { ip_range_allowlist: [127.0.0.1], request_timeout_ms: 30000 }\npresence: { enabled: false }\n");
  const client = new LeanClient(server.url);
  try {
    const names = Array.from({ length: MEMBERS }, (_, i) => `member${i}`);
    const tokens = await inBatches(names, 20, (name) => client.register(name));
    const sender = tokens[0] as string;
    const { room_id: roomId } = await client.json<{ room_id: string }>("POST", `${V3}/createRoom`, sender, { preset: "public_chat" });
    await inBatches(tokens.slice(1), 10, (token) => client.json("POST", `${V3}/join/${encodeURIComponent(roomId)}`, token, {}));
    console.log(`${database}: room of ${MEMBERS} members (load average ${loadavg()[0]!.toFixed(2)})`);
    const pushkeys = tokens.slice(1).map((_, i) => `pushkey-${i}`);
    const setPushers = (): Promise<unknown> =>
      inBatches(tokens.slice(1), 10, (token, i) =>
        client.json("POST", `${V3}/pushers/set`, token, { kind: "http", app_id: "bench.app", pushkey: pushkeys[i], app_display_name: "Bench", device_display_name: "Phone", lang: "en", data: { url } }),
      );
    const deletePushers = (): Promise<unknown> => inBatches(tokens.slice(1), 10, (token, i) => client.json("POST", `${V3}/pushers/set`, token, { kind: null, app_id: "bench.app", pushkey: pushkeys[i] }));

    await sends(client, sender, roomId, "warm", WARMUP);
    gateway.delayMs = SLOW_MS;
    const without: number[] = [];
    const withSlow: number[] = [];
    let cpuWithout = 0;
    let cpuWithSlow = 0;
    // Each measured stretch starts after one message and a pause: with pushers, once the message's
    // pushes have reached the slow gateway and wait for its answers, which is the state measured (the
    // cost of pushing itself is phase 3's).
    const measure = async (label: string, pushers: boolean): Promise<{ latencies: number[]; cpu: number }> => {
      const first = [...(await sends(client, sender, roomId, `${label}-first`, 1)).sentAt.keys()];
      if (pushers) await waitForPushes(gateway, first, MEMBERS - 1, 60_000);
      await sleep(300);
      const cpu = server.cpuMs();
      const { latencies } = await sends(client, sender, roomId, label, SENDS);
      return { latencies, cpu: server.cpuMs() - cpu };
    };
    for (let round = 0; round < ROUNDS; round++) {
      const none = await measure(`none-${round}`, false);
      without.push(...none.latencies);
      cpuWithout += none.cpu;
      await setPushers();
      const slow = await measure(`slow-${round}`, true);
      withSlow.push(...slow.latencies);
      cpuWithSlow += slow.cpu;
      await deletePushers();
    }
    const perSend = (cpu: number): string => `server CPU ${(cpu / (ROUNDS * SENDS)).toFixed(2)} ms per send`;
    console.log(`  1. sends without pushers:                         ${latencies(without)}, ${perSend(cpuWithout)}`);
    console.log(`     sends with ${MEMBERS - 1} pushers, gateway answering after ${SLOW_MS} ms: ${latencies(withSlow)}, ${perSend(cpuWithSlow)}`);

    await setPushers();
    const backlog = [...(await sends(client, sender, roomId, "backlog", BACKLOG)).sentAt.keys()];
    const expected = (MEMBERS - 1) * BACKLOG;
    // Each pusher had one push answered every SLOW_MS while the backlog was being sent.
    const arrivedBefore = pushesOf(gateway, backlog);
    const cpuBefore = server.cpuMs();
    const drainStart = performance.now();
    gateway.fast();
    const drained = await waitForPushes(gateway, backlog, expected, 600_000);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const drainedCount = pushesOf(gateway, backlog) - arrivedBefore;
    console.log(
      `  2. gateway fast, draining a backlog of ${BACKLOG} sends: ${drainedCount} notifications in ${drainSeconds.toFixed(1)} s = ${(drainedCount / drainSeconds).toFixed(0)} notifications/s, server CPU ${((server.cpuMs() - cpuBefore) / drainedCount).toFixed(3)} ms per notification${drained ? "" : " (timed out)"}`,
    );

    await sleep(500);
    const cpu3 = server.cpuMs();
    const start3 = performance.now();
    const fast = await sends(client, sender, roomId, "fast", BACKLOG);
    await waitForPushes(gateway, [...fast.sentAt.keys()], expected, 600_000);
    const seconds3 = (performance.now() - start3) / 1000;
    const count3 = pushesOf(gateway, fast.sentAt.keys());
    const delays: number[] = [];
    for (const [eventId, sentAt] of fast.sentAt) for (const at of gateway.arrivals.get(eventId) ?? []) delays.push(at - sentAt);
    console.log(`  3. gateway fast, ${BACKLOG} sends while pushing: send ${latencies(fast.latencies)}`);
    console.log(
      `     ${count3} notifications in ${seconds3.toFixed(1)} s = ${(count3 / seconds3).toFixed(0)} notifications/s, server CPU ${((server.cpuMs() - cpu3) / count3).toFixed(3)} ms per notification (sends included); send-to-push delay ${latencies(delays)}`,
    );
  } finally {
    client.close();
    await server.stop();
    await gateway.close();
  }
}

// BENCH_DATABASES=sqlite (or postgres) narrows the run to one database.
const databases = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
if (databases.includes("sqlite")) await run("sqlite");
if (databases.includes("postgres")) {
  if (await postgresAvailable()) await run("postgres");
  else console.log("postgres: not reachable, skipped");
}
