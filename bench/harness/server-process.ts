/**
 * Runs a Tessera homeserver in a child process for benchmarks, so that the load generator and the
 * server do not share an event loop and the server's RSS can be read on its own. It runs the built
 * JavaScript (`npm run build`, done by `npm run bench` first), as `npm start` does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import pg from "pg";
import { npmStartLaunch } from "../../test/harness/server-child.js";

export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process, in MiB. */
  rssMiB(): number;
  /** CPU time (user + system) the server process used so far, in ms: robust to a busy machine where wall time is not. */
  cpuMs(): number;
  /** How many sockets the server process holds open now (connections accepted, plus its listeners). */
  openSockets(): number;
  stop(): Promise<void>;
}

const POSTGRES_URL = process.env["TESSERA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Vacuums the system catalogs of the benchmark database. Every test and benchmark run creates a
 * schema of its own and drops it, and the PostgreSQL of these machines runs without autovacuum: over
 * one working session pg_attribute gathered 145 000 dead rows. Runs before each PostgreSQL server, so
 * figures do not depend on how much ran before them. (Vacuuming a catalog needs its owner, as here;
 * otherwise PostgreSQL skips it with a warning.)
 */
async function vacuumCatalogs(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query("VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type, pg_catalog.pg_depend, pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_attrdef");
  } finally {
    await client.end();
  }
}

/** A server that federates: its name and a TLS federation listener (see bench/harness/federated-server.ts). */
export interface BenchFederation {
  serverName: string;
  port: number;
  cert: string;
  key: string;
}

/** How the server process is started, beyond `npm start`'s own flags. */
export interface BenchLaunch {
  /** A program the server runs under (valgrind and its options): the command line is prefixed with it. */
  wrapper?: readonly string[];
  /** More Node.js flags (after BENCH_SERVER_NODE_ARGS). */
  nodeArgs?: readonly string[];
}

export async function startBenchServer(database: "sqlite" | "postgres", extraYaml = "", federation?: BenchFederation, launch: BenchLaunch = {}): Promise<BenchServer> {
  if (database === "postgres") await vacuumCatalogs();
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const port = await freePort();
  const federationListener = federation ? `\n  - { port: ${federation.port}, bind_address: 127.0.0.1, resources: [federation], tls: { cert: ${federation.cert}, key: ${federation.key} } }` : "";
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const dbLines = database === "sqlite" ? `database: sqlite:${join(dir, "bench.db")}` : `database: ${POSTGRES_URL}\ndatabase_schema: ${schema}`;
  writeFileSync(
    join(dir, "tessera.yaml"),
    `server_name: ${federation?.serverName ?? "localhost"}
listeners:
  - { port: ${port}, bind_address: 127.0.0.1, resources: [${federation ? "client" : "client, federation"}] }${federationListener}
${dbLines}
data_dir: ${dir}
log_level: ${process.env["BENCH_LOG_LEVEL"] ?? "warn"}
registration: { enabled: true, tokens_required: false, shared_secret: "bench-shared-secret-0123456789" }
rate_limits: { enabled: false }
${extraYaml}`,
  );
  // The flags and environment `npm start` runs the server with (package.json, README "Memory"), then
  // any flags the bench run adds.
  const npmStart = npmStartLaunch();
  const nodeArgs = [...npmStart.nodeArgs, ...(process.env["BENCH_SERVER_NODE_ARGS"] ?? "").split(" ").filter(Boolean), ...(launch.nodeArgs ?? [])];
  const command = [...(launch.wrapper ?? []), process.execPath, ...nodeArgs, "dist/main.js", "start", "--config", join(dir, "tessera.yaml")];
  const child: ChildProcess = spawn(command[0] as string, command.slice(1), {
    // BENCH_LOG_LEVEL (e.g. info) shows the servers' logs, for finding out why a run failed.
    stdio: ["ignore", process.env["BENCH_LOG_LEVEL"] ? "inherit" : "pipe", "inherit"],
    // TESSERA_TEST_POSTGRES names the benchmark's database for this process; the server would read any
    // TESSERA_* variable as a config key and refuse the unknown one.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "TESSERA_TEST_POSTGRES")), ...npmStart.env },
  });
  const url = `http://127.0.0.1:${port}`;
  // Under valgrind the start takes tens of times longer.
  const attempts = launch.wrapper ? 3000 : 200;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid as number,
    rssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    openSockets: () => {
      let sockets = 0;
      for (const fd of readdirSync(`/proc/${child.pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${child.pid}/fd/${fd}`).startsWith("socket:")) sockets++;
        } catch {
          // closed while counting
        }
      }
      return sockets;
    },
    cpuMs: () => processCpuMs(child.pid as number),
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      if (database === "postgres") {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
  };
}

/** CPU time (user + system) process `pid` used so far, in ms. */
export function processCpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux); the command name
  // (field 2) is in parentheses and may hold spaces, so count from after it.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A port nothing listens on now: the kernel picks one for a moment's listener. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Registers a user through the dummy-stage flow; returns its access token. */
export async function registerBenchUser(url: string, name: string): Promise<string> {
  const first = (await (await fetch(`${url}/_matrix/client/v3/register`, { method: "POST", body: JSON.stringify({ username: name, password: "bench password" }) })).json()) as { session: string };
  const done = (await (
    await fetch(`${url}/_matrix/client/v3/register`, {
      method: "POST",
      body: JSON.stringify({ username: name, password: "bench password", auth: { type: "m.login.dummy", session: first.session } }),
    })
  ).json()) as { access_token: string };
  return done.access_token;
}

/**
 * One request over a kept-alive node:http connection. The load generator must cost much less than the
 * server per request, and fetch (undici) costs about as much as a whole send on this machine.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

export function api<T = Record<string, unknown>>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
  return new Promise<T>((resolve, reject) => {
    const request = http.request(
      `${url}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new Error(`${method} ${path}: ${status} ${text}`));
          try {
            resolve(JSON.parse(text) as T);
          } catch (error) {
            reject(error as Error);
          }
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

/**
 * Runs `request` n times one after another; the latency of each (ms, in order) and the rate. For the
 * sequential figures of the benchmarks.
 */
export async function timedSequence(n: number, request: (i: number) => Promise<unknown>): Promise<{ samples: number[]; perSecond: number }> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await request(i);
    samples.push(performance.now() - t);
  }
  return { samples, perSecond: n / ((performance.now() - start) / 1000) };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
