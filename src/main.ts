#!/usr/bin/env node
/**
 * The `tessera` command line. The only module that touches process signals and exit codes.
 *   tessera start [--config FILE]           start the homeserver (writes ./data/tessera.yaml on first start)
 *   tessera generate-config [FILE]          write a default config
 *   tessera register-user [--config FILE] [--admin] [--password P] NAME
 *   tessera registration-token create|list|delete [--config FILE] [--uses N] [--expires-in-days D] [TOKEN]
 */
import { parseArgs } from "node:util";
import { deferCompilers, resumeCompilers } from "./compiler-tiers.js";

// The rest of the program is imported below, when a command needs it: `start` first holds back V8's
// optimizing compilers, so that loading the server does not compile the module loader
// (compiler-tiers.ts), and a static import would load everything before this module's first line.

const DEFAULT_CONFIG_PATH = "./data/tessera.yaml";

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string", short: "c" } } });
  deferCompilers([...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)]);
  const [{ writeDefaultConfig }, { loadConfig }, { Homeserver }] = await Promise.all([
    import("./config/default-config.js"),
    import("./config/load-config.js"),
    import("./homeserver.js"),
  ]);
  let path = values.config;
  if (!path) {
    path = DEFAULT_CONFIG_PATH;
    if (writeDefaultConfig(path)) console.log(`Wrote a default configuration to ${path}.`);
  }
  const config = loadConfig(path);
  const server = await Homeserver.create(config);
  await server.start();
  resumeCompilers();
  // What loading the server left is garbage now, and V8 would give its pages back only after tens of
  // seconds idle (memory-trimmer.ts). A request that arrives meanwhile waits the few tens of ms once.
  server.memoryTrimmer.compactHeap();
  for (const listener of server.listeners) {
    console.log(`Tessera (${config.server_name}) listening on ${listener.tls ? "https" : "http"}://${listener.host}:${listener.port} [${listener.resources.join(", ")}]`);
  }
  if ((await server.context.stores.users.countUsers()) === 0) {
    console.log(`No users yet. Create the first one with:\n  npm run tessera -- register-user --config ${path} --admin <name>`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  console.log("Stopping...");
  await server.stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command = "start", ...rest] = argv;
  switch (command) {
    case "start":
      return start(rest);
    case "generate-config": {
      const { writeDefaultConfig } = await import("./config/default-config.js");
      const path = rest[0] ?? DEFAULT_CONFIG_PATH;
      if (!writeDefaultConfig(path)) {
        console.error(`${path} exists already; not overwriting it.`);
        return 1;
      }
      console.log(`Wrote ${path}.`);
      return 0;
    }
    case "register-user":
      return (await import("./cli/register-user.js")).registerUserCommand(rest, DEFAULT_CONFIG_PATH);
    case "registration-token":
      return (await import("./cli/registration-token.js")).registrationTokenCommand(rest, DEFAULT_CONFIG_PATH);
    default:
      console.error(`unknown command: ${command}\ncommands: start, generate-config, register-user, registration-token`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    const { ConfigError } = await import("./config/load-config.js");
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(error);
    process.exitCode = 1;
  },
);
