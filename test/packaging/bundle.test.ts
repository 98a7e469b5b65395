/**
 * The bundle `npm start` runs (scripts/build.mjs): built into a directory of its own, it starts on
 * SQLite and on PostgreSQL, registers users from its command line and over the API, sends and syncs a
 * message, loads the native pieces from build/ (they are found from the package root, not from where
 * the bundle is), prints no warning, and stops cleanly on SIGTERM. Every other test runs src/ through
 * tsx; this one covers what only the bundle can get wrong (paths, modules left outside it, chunks
 * loaded on demand).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../harness/client.js";
import { freePort } from "../harness/ports.js";
import { npmStartLaunch, startChildServer, writeChildConfig, type ChildServer } from "../harness/server-child.js";
import { createTestDatabase, DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE, type TestDatabase } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const root = process.cwd();
// Below the package root but not directly in it: the bundle must find build/ and package.json by
// looking up, as it would from anywhere it is put.
const bundleDir = join(root, ".tmp", `bundle-test-${process.pid}`);
const nativeBuilt = ["build/sqlite-wal-writes.so", "build/release-memory.node"].every((file) => existsSync(join(root, file)));

before(() => {
  const built = spawnSync(process.execPath, ["scripts/build.mjs", bundleDir], { encoding: "utf8" });
  assert.equal(built.status, 0, `scripts/build.mjs failed: ${built.stderr}`);
});

after(() => rmSync(bundleDir, { recursive: true, force: true }));

/** `tessera start` from the bundle, with the flags and environment of `npm start`. */
function start(configPath: string, url: string): Promise<ChildServer> {
  const launch = npmStartLaunch();
  return startChildServer([...launch.nodeArgs, join(bundleDir, "main.js"), "start", "--config", configPath], url, { ...process.env, ...launch.env });
}

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;
  describe(`the built bundle on ${database}`, { skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-bundle-"));
    let db: TestDatabase | undefined;
    let server: ChildServer | undefined;

    after(async () => {
      if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
      await db?.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("serves, registers from its command line, sends and syncs, loads build/, stops cleanly", async () => {
      db = await createTestDatabase(database);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const configPath = writeChildConfig(dataDir, port, db, [
        `listeners: [{ port: ${port}, bind_address: 127.0.0.1, resources: [client, federation] }]`,
        "registration: { enabled: true, tokens_required: false, shared_secret: bundle-test-shared-secret-0123456789 }",
      ]);
      server = await start(configPath, url);
      const pid = server.child.pid as number;

      // A command of main.ts that lives in a chunk of its own, loaded on demand.
      const cli = spawnSync(process.execPath, [join(bundleDir, "main.js"), "register-user", "--config", configPath, "--password", "bundle password", "carol"], { encoding: "utf8" });
      assert.equal(cli.status, 0, `register-user: ${cli.stderr}`);
      const carol = new ApiClient(url);
      const login = await carol.post<{ user_id: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user: "carol" }, password: "bundle password" });
      assert.equal(login.status, 200);
      assert.equal(login.body.user_id, "@carol:localhost");

      const alice = new ApiClient(url);
      await alice.register("alice");
      const room = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      assert.equal(room.status, 200);
      const sent = await alice.put<{ event_id: string }>(`${V3}/rooms/${encodeURIComponent(room.body.room_id)}/send/m.room.message/t1`, { msgtype: "m.text", body: "from the bundle" });
      assert.equal(sent.status, 200);
      const synced = await alice.get<{ rooms: { join: Record<string, { timeline: { events: { event_id: string }[] } }> } }>(`${V3}/sync`);
      assert.equal(synced.status, 200);
      assert.ok(synced.body.rooms.join[room.body.room_id]?.timeline.events.some((e) => e.event_id === sent.body.event_id));
      const federationVersion = await fetch(`${url}/_matrix/federation/v1/version`);
      assert.equal(federationVersion.status, 200);
      assert.equal(((await federationVersion.json()) as { server: { version: string } }).server.version, (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version);

      if (nativeBuilt && process.platform === "linux") {
        const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
        if (database === "sqlite") assert.ok(maps.includes(join(root, "build", "sqlite-wal-writes.so")), "the SQLite extension is loaded from build/");
        assert.ok(maps.includes(join(root, "build", "release-memory.node")), "the memory addon is loaded from build/");
      }

      const exited = new Promise<number | null>((resolve) => server?.child.once("exit", (code) => resolve(code)));
      server.child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.doesNotMatch(server.stderr(), /warning|error/i, "nothing went wrong on the way");
    });
  });
}
