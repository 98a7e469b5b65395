/**
 * The homeserver: opens the database, migrates it, builds the AppContext and serves every listener.
 * Used by main.ts and by tests (which start it on ephemeral ports with a temporary database).
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Config } from "./config/schema.js";
import { loadSecrets, type Secrets } from "./config/secrets.js";
import { createContext, type AppContext, type ContextOverrides } from "./context.js";
import { buildApp } from "./http/app.js";
import { routesForResources } from "./http/routes.js";
import { createRootLogger, type Logger } from "./logger.js";
import { MemoryTrimmer } from "./memory-trimmer.js";
import { Db } from "./storage/db.js";
import { migrate } from "./storage/migrations/index.js";

export interface HomeserverOptions {
  overrides?: ContextOverrides;
  logger?: Logger;
  secrets?: Secrets;
  /** Catch queries made on the database from inside a transaction (tests; it costs a little on every promise). */
  guardTransactions?: boolean;
}

export interface BoundListener {
  host: string;
  port: number;
  resources: readonly string[];
  tls: boolean;
}

export class Homeserver {
  private readonly apps: { app: FastifyInstance; config: Config["listeners"][number] }[] = [];
  private bound: BoundListener[] = [];
  /** Gives free C heap pages back to the kernel once started, then every memory_trim_interval_ms. */
  readonly memoryTrimmer: MemoryTrimmer;

  private constructor(readonly context: AppContext) {
    this.memoryTrimmer = new MemoryTrimmer(context.config.memory_trim_interval_ms);
  }

  static async create(config: Config, options: HomeserverOptions = {}): Promise<Homeserver> {
    const log = options.logger ?? createRootLogger(config.log_level);
    const secrets = options.secrets ?? loadSecrets(config);
    const db = await Db.open({
      url: config.database,
      ...(config.database_schema ? { schema: config.database_schema } : {}),
      sqliteSynchronous: config.sqlite_synchronous,
      guardTransactions: options.guardTransactions ?? false,
      onBackgroundError: (message) => log.error({ error: message }, "database background work failed"),
    });
    try {
      const applied = await migrate(db, { onUpgrade: (migration) => log.info({ migration }, "upgrading the database (a large one can take a while)") });
      if (applied.length > 0) log.info({ migrations: applied }, "database migrated");
      const context = await createContext(config, secrets, db, log, options.overrides);
      return new Homeserver(context);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  get config(): Config {
    return this.context.config;
  }

  /** Listens on every configured listener; port 0 picks a free port (see `listeners`). */
  async start(): Promise<void> {
    const { config, services, log } = this.context;
    for (const listener of config.listeners) {
      const https = listener.tls ? { cert: readFileSync(listener.tls.cert), key: readFileSync(listener.tls.key) } : undefined;
      const app = buildApp({
        deps: { ...services, config, log },
        routes: routesForResources(listener.resources),
        ...(https ? { https } : {}),
        trustProxy: listener.x_forwarded,
      });
      await app.listen({ port: listener.port, host: listener.bind_address });
      const address = app.server.address() as AddressInfo;
      this.apps.push({ app, config: listener });
      this.bound.push({ host: listener.bind_address, port: address.port, resources: listener.resources, tls: !!https });
      log.info({ address: `${listener.bind_address}:${address.port}`, resources: listener.resources, tls: !!https }, "listening");
    }
    // Everything loading, migrating and compiling allocated and freed is free now.
    this.memoryTrimmer.start();
  }

  /** Where each listener is bound (after start). */
  get listeners(): readonly BoundListener[] {
    return this.bound;
  }

  async stop(): Promise<void> {
    this.memoryTrimmer.stop();
    for (const { app } of this.apps) await app.close();
    this.apps.length = 0;
    this.bound = [];
    await this.context.close();
    await this.context.db.close();
  }
}
