/**
 * Replication between two Tessera servers on loopback (TLS federation), each in its own process, on
 * SQLite and on PostgreSQL. Prints figures, asserts none.
 *
 * 1. Throughput: BENCH_FED_SENDERS (10) users of server A send BENCH_FED_MESSAGES (2 000) messages into
 *    one room as fast as they can (each sends its next message when the last was answered); a user of
 *    server B long-polls /sync. Figures: A's send rate, and events/s replicated = messages / time from
 *    the first send until B's user has received the last one over /sync.
 * 2. Latency: one message at a time, sent on A while B's user waits in a long-poll; a sample is the
 *    time from issuing the send on A to the arrival of B's /sync response carrying it (p50, p99 over
 *    BENCH_FED_ROUNDS (200) rounds).
 *
 * BENCH_DATABASES=sqlite,postgres narrows the run.
 */
import { loadavg } from "node:os";
import { startFederatedBenchServer, type FederatedBenchServer } from "./harness/federated-server.js";
import { inBatches, LeanClient } from "./harness/lean-client.js";
import { percentile, postgresAvailable } from "./harness/server-process.js";

const MESSAGES = Number(process.env["BENCH_FED_MESSAGES"] ?? 2000);
const SENDERS = Number(process.env["BENCH_FED_SENDERS"] ?? 10);
const ROUNDS = Number(process.env["BENCH_FED_ROUNDS"] ?? 200);
const DATABASES = (process.env["BENCH_DATABASES"] ?? "sqlite,postgres").split(",");
// A large timeline limit so that no /sync response is `limited` and every message is counted.
const FILTER = encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 5000 } }, presence: { types: [] } }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SyncBody {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: { type: string; content: { body?: string } }[] } }> };
}

function bodiesIn(sync: SyncBody, roomId: string): string[] {
  const events = sync.rooms?.join?.[roomId]?.timeline.events ?? [];
  return events.filter((e) => e.type === "m.room.message" && typeof e.content.body === "string").map((e) => e.content.body as string);
}

async function syncOnce(client: LeanClient, token: string, since: string, timeout: number): Promise<{ body: SyncBody; arrivedAt: number }> {
  const res = await client.send("GET", `/_matrix/client/v3/sync?filter=${FILTER}&timeout=${timeout}&since=${since}`, token);
  if (res.status !== 200) throw new Error(`/sync: ${res.status} ${res.body}`);
  return { body: JSON.parse(res.body) as SyncBody, arrivedAt: res.arrivedAt };
}

async function sharedRoom(a: FederatedBenchServer, b: FederatedBenchServer, onA: LeanClient, onB: LeanClient): Promise<{ roomId: string; senders: string[]; reader: string; since: string }> {
  const senders = await inBatches(
    Array.from({ length: SENDERS }, (_, i) => i),
    8,
    (i) => onA.register(`sender${i}`),
  );
  const reader = await onB.register("reader");
  const roomId = (await onA.json<{ room_id: string }>("POST", "/_matrix/client/v3/createRoom", senders[0], { preset: "public_chat" })).room_id;
  await inBatches(senders.slice(1), 4, (token) => onA.json("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, token, {}));
  await onB.json("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(a.serverName)}`, reader, {});
  const since = (await onB.json<{ next_batch: string }>("GET", `/_matrix/client/v3/sync?filter=${FILTER}&timeout=0`, reader)).next_batch;
  void b;
  return { roomId, senders, reader, since };
}

async function throughput(a: FederatedBenchServer, b: FederatedBenchServer, onA: LeanClient, onB: LeanClient, room: { roomId: string; senders: string[]; reader: string; since: string }): Promise<string> {
  const perSender = Math.ceil(MESSAGES / SENDERS);
  const total = perSender * SENDERS;
  const [cpuA, cpuB] = [a.cpuMs(), b.cpuMs()];
  const start = performance.now();
  let sentAt = 0;
  const sending = Promise.all(
    room.senders.map(async (token, s) => {
      for (let i = 0; i < perSender; i++) {
        await onA.json("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/send/m.room.message/t${s}-${i}`, token, { msgtype: "m.text", body: `t ${s} ${i}` });
      }
    }),
  ).then(() => (sentAt = performance.now()));
  const seen = new Set<string>();
  let since = room.since;
  let lastAt = start;
  while (seen.size < total) {
    const { body, arrivedAt } = await syncOnce(onB, room.reader, since, 10_000);
    for (const text of bodiesIn(body, room.roomId)) if (text.startsWith("t ")) seen.add(text);
    since = body.next_batch;
    lastAt = arrivedAt;
    if (arrivedAt - start > 300_000) throw new Error(`only ${seen.size} of ${total} messages reached B in 5 minutes`);
  }
  await sending;
  room.since = since;
  const sendSeconds = (sentAt - start) / 1000;
  const allSeconds = (lastAt - start) / 1000;
  return [
    `${total} messages from ${SENDERS} senders: A accepted ${(total / sendSeconds).toFixed(0)}/s (${sendSeconds.toFixed(2)} s)`,
    `B's user had all after ${allSeconds.toFixed(2)} s: ${(total / allSeconds).toFixed(0)} events/s replicated; B ${(lastAt - sentAt).toFixed(0)} ms behind A's last answer`,
    `server CPU: A ${(a.cpuMs() - cpuA).toFixed(0)} ms, B ${(b.cpuMs() - cpuB).toFixed(0)} ms`,
  ].join("\n  ");
}

async function latency(onA: LeanClient, onB: LeanClient, room: { roomId: string; senders: string[]; reader: string; since: string }): Promise<string> {
  const samples: number[] = [];
  let since = room.since;
  for (let round = 0; round < ROUNDS; round++) {
    const marker = `l ${round}`;
    const waiting = (async () => {
      for (;;) {
        const { body, arrivedAt } = await syncOnce(onB, room.reader, since, 30_000);
        since = body.next_batch;
        if (bodiesIn(body, room.roomId).includes(marker)) return arrivedAt;
      }
    })();
    // Let the long-poll reach the server and wait there before the send starts the clock.
    await sleep(15);
    const sentAt = performance.now();
    await onA.json("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/send/m.room.message/l${round}`, room.senders[0] as string, { msgtype: "m.text", body: marker });
    samples.push((await waiting) - sentAt);
  }
  samples.sort((x, y) => x - y);
  return `send on A -> /sync on B: p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms, max ${(samples[samples.length - 1] ?? NaN).toFixed(2)} ms (n=${samples.length})`;
}

for (const database of DATABASES as ("sqlite" | "postgres")[]) {
  if (database === "postgres" && !(await postgresAvailable())) {
    console.log("postgres: skipped (no PostgreSQL at 127.0.0.1:5432)");
    continue;
  }
  const [a, b] = await Promise.all([startFederatedBenchServer(database), startFederatedBenchServer(database)]);
  try {
    const onA = new LeanClient(a.url);
    const onB = new LeanClient(b.url);
    const room = await sharedRoom(a, b, onA, onB);
    console.log(`${database} (load average ${loadavg()[0]?.toFixed(2)})`);
    console.log(`  ${await throughput(a, b, onA, onB, room)}`);
    console.log(`  ${await latency(onA, onB, room)}`);
    console.log(`  RSS: A ${a.rssMiB().toFixed(0)} MiB, B ${b.rssMiB().toFixed(0)} MiB`);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
