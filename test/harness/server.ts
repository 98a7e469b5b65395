/**
 * A real Tessera homeserver for tests: started in-process on an ephemeral loopback port with a fresh
 * SQLite file or PostgreSQL schema, talked to over real HTTP.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "../../src/config/load-config.js";
import type { Config } from "../../src/config/schema.js";
import { Homeserver } from "../../src/homeserver.js";
import type { ContextOverrides } from "../../src/context.js";
import { createRootLogger } from "../../src/logger.js";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./databases.js";

export interface TestServer {
  readonly server: Homeserver;
  readonly url: string;
  readonly serverName: string;
  readonly config: Config;
  /** Stops the server, keeping its database and data dir (for restart tests). */
  stop(): Promise<void>;
  /** Starts a new server on the same database and data dir (and the same port). */
  restart(): Promise<TestServer>;
  /** Stops and removes everything. */
  destroy(): Promise<void>;
}

export interface TestServerOptions {
  database?: DatabaseKind;
  /** Merged over the test defaults (open registration, no rate limits). */
  config?: Record<string, unknown>;
  serverName?: string;
  /** Context overrides (a clock of the test's own); password hashing stays cheap unless given. */
  overrides?: ContextOverrides;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      current && typeof current === "object" && !Array.isArray(current) && value && typeof value === "object" && !Array.isArray(value)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(options.database ?? "sqlite");
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-data-"));
  const raw = deepMerge(
    {
      server_name: options.serverName ?? "localhost",
      listeners: [{ port: 0, bind_address: "127.0.0.1", resources: ["client", "federation"] }],
      database: database.url,
      ...(database.schema ? { database_schema: database.schema } : {}),
      data_dir: dataDir,
      log_level: process.env["TESSERA_TEST_LOG"] ?? "silent",
      registration: { enabled: true, tokens_required: false, shared_secret: "test-shared-secret-0123456789" },
      rate_limits: { enabled: false },
    },
    options.config ?? {},
  );
  return launch(raw, database, dataDir, options.overrides);
}

async function launch(raw: Record<string, unknown>, database: TestDatabase, dataDir: string, overrides: ContextOverrides = {}): Promise<TestServer> {
  const config = validateConfig(raw, "test config");
  const server = await Homeserver.create(config, {
    logger: createRootLogger(config.log_level),
    overrides: { passwordHashCost: 4, ...overrides },
    guardTransactions: true,
  });
  await server.start();
  const listener = server.listeners[0]!;
  const url = `http://127.0.0.1:${listener.port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  return {
    server,
    url,
    serverName: config.server_name,
    config,
    stop,
    restart: async () => {
      await stop();
      const listeners = (raw["listeners"] as Record<string, unknown>[]).map((l, i) => (i === 0 ? { ...l, port: listener.port } : l));
      return launch({ ...raw, listeners }, database, dataDir, overrides);
    },
    destroy: async () => {
      await stop();
      await database.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
