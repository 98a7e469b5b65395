/**
 * `tessera start` as a child process, for the tests that need a real process (a crash, the built
 * bundle): its config file, and the start that waits until it answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestDatabase } from "./databases.js";

/**
 * The Node.js flags and environment `npm start` runs the server with, read from package.json's start
 * script (`VAR=value node --flag ... dist/main.js start`), so that tests and benchmarks of a server
 * process run it as users do and follow when those change.
 */
export function npmStartLaunch(): { nodeArgs: string[]; env: Record<string, string> } {
  const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: { start: string } };
  const words = packageJson.scripts.start.split(/\s+/);
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  for (const word of words.slice(0, words.indexOf("dist/main.js"))) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (assignment) env[assignment[1] as string] = assignment[2] as string;
    else if (word.startsWith("--")) nodeArgs.push(word);
  }
  return { nodeArgs, env };
}

/** Writes `dataDir`/tessera.yaml for a server on `port` over `db`, open registration, no rate limits; returns its path. */
export function writeChildConfig(dataDir: string, port: number, db: TestDatabase, extra: readonly string[] = []): string {
  const configPath = join(dataDir, "tessera.yaml");
  writeFileSync(
    configPath,
    [
      "server_name: localhost",
      `database: "${db.url}"`,
      ...(db.schema ? [`database_schema: ${db.schema}`] : []),
      `data_dir: ${dataDir}`,
      "rate_limits: { enabled: false }",
      ...extra,
    ].join("\n"),
  );
  return configPath;
}

export interface ChildServer {
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/** Spawns `node <nodeArgs>` and waits until `url` answers /versions (30 s at most). */
export async function startChildServer(nodeArgs: readonly string[], url: string, env: NodeJS.ProcessEnv = process.env): Promise<ChildServer> {
  const child = spawn(process.execPath, nodeArgs, { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/_matrix/client/versions`)).ok) return { child, stderr: () => stderr };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`server did not start: ${stderr}`);
}
