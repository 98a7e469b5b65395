/**
 * Nothing acknowledged is lost when the server process dies: `tessera start` runs as a child process,
 * a user sends messages (sequentially and concurrently, so SQLite's group commit is exercised), the
 * process is killed with SIGKILL right after the last acknowledgement, and a new process on the same
 * database must serve every acknowledged message and accept the same transaction IDs as retries.
 * (SQLite runs with synchronous=NORMAL: a process crash loses nothing; power loss is another matter,
 * see docs/config.md.)
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient } from "../harness/client.js";
import { freePort } from "../harness/ports.js";
import { startChildServer, writeChildConfig } from "../harness/server-child.js";
import { createTestDatabase, DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE, type TestDatabase } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";

async function startProcess(configPath: string, url: string): Promise<ChildProcess> {
  return (await startChildServer(["--import", "tsx", "src/main.ts", "start", "--config", configPath], url)).child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;
  describe(`crash durability on ${database}`, { skip }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tessera-crash-"));
    let db: TestDatabase | undefined;
    let child: ChildProcess | undefined;

    after(async () => {
      if (child) await kill(child);
      await db?.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("keeps every acknowledged message across a SIGKILL", async () => {
      db = await createTestDatabase(database);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const configPath = writeChildConfig(dataDir, port, db, [
        `listeners: [{ port: ${port}, bind_address: 127.0.0.1, resources: [client] }]`,
        "log_level: silent",
        "registration: { enabled: true, tokens_required: false }",
      ]);
      child = await startProcess(configPath, url);
      const alice = new ApiClient(url);
      await alice.register("alice");
      const room = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      const path = `${V3}/rooms/${encodeURIComponent(room.body.room_id)}/send/m.room.message`;
      const acknowledged = new Map<string, string>();
      for (let i = 0; i < 20; i++) {
        const sent = await alice.put<{ event_id: string }>(`${path}/seq${i}`, { msgtype: "m.text", body: `sequential ${i}` });
        assert.equal(sent.status, 200);
        acknowledged.set(`seq${i}`, sent.body.event_id);
      }
      const together = await Promise.all(
        Array.from({ length: 30 }, (_, i) => alice.put<{ event_id: string }>(`${path}/par${i}`, { msgtype: "m.text", body: `concurrent ${i}` })),
      );
      together.forEach((sent, i) => {
        assert.equal(sent.status, 200);
        acknowledged.set(`par${i}`, sent.body.event_id);
      });
      await kill(child);

      child = await startProcess(configPath, url);
      const history = await alice.get<{ chunk: { event_id: string }[] }>(`${V3}/rooms/${encodeURIComponent(room.body.room_id)}/messages?dir=b&limit=100`);
      assert.equal(history.status, 200);
      const stored = new Set(history.body.chunk.map((e) => e.event_id));
      for (const [txnId, eventId] of acknowledged) assert.ok(stored.has(eventId), `${txnId} (${eventId}) survived the crash`);
      // Every acknowledged message can be searched for: index rows still waiting at the kill (SQLite
      // writes them just after the events) are written by the next start.
      for (const [word, expected] of [["sequential", 20], ["concurrent", 30]] as const) {
        const found = await alice.post<{ search_categories: { room_events: { count: number } } }>(`${V3}/search`, {
          search_categories: { room_events: { search_term: word, filter: { rooms: [room.body.room_id] } } },
        });
        assert.equal(found.status, 200);
        assert.equal(found.body.search_categories.room_events.count, expected, `every "${word}" message is in the search index`);
      }
      // A client retrying after the crash gets the same event, not a second one.
      const retried = await alice.put<{ event_id: string }>(`${path}/par7`, { msgtype: "m.text", body: "concurrent 7" });
      assert.equal(retried.body.event_id, acknowledged.get("par7"));
    });
  });
}
