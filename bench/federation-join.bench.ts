/**
 * Joining a large room over federation: server A holds a room with BENCH_JOIN_MEMBERS (10 000) joined
 * members and BENCH_JOIN_EXTRA_STATE (10 000) other state events (20 000 state events in all); a user
 * of server B joins it. Each server runs in its own process (SQLite by default; BENCH_DATABASES).
 * Prints figures, asserts none.
 *
 * With partial-state joins (the default): the time until B's /join answers, until B's user has sent
 * a message (the user can talk), and until B knows every member (full state arrived: /joined_members
 * polled every 100 ms). Then the same join from server C with `federation.partial_state_joins: false`,
 * which answers only once the whole state is in.
 */
import { loadavg } from "node:os";
import { startFederatedBenchServer, type FederatedBenchServer } from "./harness/federated-server.js";
import { inBatches, LeanClient } from "./harness/lean-client.js";
import { postgresAvailable } from "./harness/server-process.js";

const MEMBERS = Number(process.env["BENCH_JOIN_MEMBERS"] ?? 10_000);
const EXTRA_STATE = Number(process.env["BENCH_JOIN_EXTRA_STATE"] ?? 10_000);
const DATABASES = (process.env["BENCH_DATABASES"] ?? "sqlite").split(",");
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function bigRoom(a: FederatedBenchServer, onA: LeanClient): Promise<string> {
  const started = performance.now();
  const owner = await onA.register("owner");
  const roomId = (await onA.json<{ room_id: string }>("POST", "/_matrix/client/v3/createRoom", owner, { preset: "public_chat", name: "a large room" })).room_id;
  await inBatches(
    Array.from({ length: MEMBERS }, (_, i) => i),
    16,
    async (i) => {
      const token = await onA.register(`m${i}`);
      await onA.json("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, token, {});
    },
  );
  await inBatches(
    Array.from({ length: EXTRA_STATE }, (_, i) => i),
    8,
    (i) => onA.json("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/org.example.bench.item/${i}`, owner, { i }),
  );
  console.log(`  setup on A: ${MEMBERS} members and ${EXTRA_STATE} other state events in ${seconds(performance.now() - started)}; A's RSS ${a.rssMiB().toFixed(0)} MiB`);
  return roomId;
}

async function joinedCount(client: LeanClient, token: string, roomId: string): Promise<number> {
  const res = await client.send("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`, token);
  if (res.status !== 200) return 0;
  return Object.keys((JSON.parse(res.body) as { joined: Record<string, unknown> }).joined).length;
}

async function joinFrom(label: string, a: FederatedBenchServer, joiner: FederatedBenchServer, roomId: string, full: boolean): Promise<void> {
  const client = new LeanClient(joiner.url);
  const token = await client.register("joiner");
  const cpuBefore = joiner.cpuMs();
  const started = performance.now();
  await client.json("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(a.serverName)}`, token, {});
  const joinedAt = performance.now();
  await client.json("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/first`, token, { msgtype: "m.text", body: "hello" });
  const sentAt = performance.now();
  const everyone = MEMBERS + 2;
  while ((await joinedCount(client, token, roomId)) < everyone) {
    if (performance.now() - started > 600_000) throw new Error(`${label}: the full state did not arrive in 10 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const completeAt = performance.now();
  console.log(
    `  ${label}: /join answered after ${seconds(joinedAt - started)}, first message sent after ${seconds(sentAt - started)}, ` +
      `${full ? "all members known at once" : `all ${everyone} members known after ${seconds(completeAt - started)}`}; ` +
      `joining server CPU ${seconds(joiner.cpuMs() - cpuBefore)}, RSS ${joiner.rssMiB().toFixed(0)} MiB`,
  );
}

for (const database of DATABASES as ("sqlite" | "postgres")[]) {
  if (database === "postgres" && !(await postgresAvailable())) {
    console.log("postgres: skipped (no PostgreSQL at 127.0.0.1:5432)");
    continue;
  }
  const a = await startFederatedBenchServer(database);
  try {
    console.log(`${database} (load average ${loadavg()[0]?.toFixed(2)})`);
    const roomId = await bigRoom(a, new LeanClient(a.url));
    const b = await startFederatedBenchServer(database);
    try {
      await joinFrom("partial-state join (B)", a, b, roomId, false);
    } finally {
      await b.stop();
    }
    const full = await startFederatedBenchServer(database, "", { partialStateJoins: false });
    try {
      await joinFrom("full-state join (C, partial_state_joins: false)", a, full, roomId, true);
    } finally {
      await full.stop();
    }
  } finally {
    await a.stop();
  }
}
