/**
 * Unread counts kept between syncs (unread-count-cache.ts, recent-push-actions.ts) against counting
 * afresh, over a long seeded random mix of what changes them: messages, mentions, thread replies, the
 * user's own messages, public and private read receipts (threaded or not) and redactions, with moves of
 * staged push actions in between. After every step the user's incremental sync must report what an
 * initial sync counts. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;
const STEPS = 60;

type Counts = { notification_count?: number; highlight_count?: number };
type Room = { unread_notifications?: Counts; unread_thread_notifications?: Record<string, Counts> };
type Sync = { next_batch: string; rooms?: { join?: Record<string, Room> } };

const FILTER = q(JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }));

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const database of DATABASE_KINDS) {
  describe(`unread counts over a random history on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;
    let aliceId: string;

    before(async () => {
      // Staged push actions move when the test says, at random points of the history.
      hs = await startTestServer({ database, config: { presence: { enabled: false }, push: { staged_actions_move_ms: 3_600_000 } } });
      [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
      aliceId = `@alice:${hs.serverName}`;
    });
    after(async () => hs.destroy());

    it("stay what counting afresh gives", async () => {
      const next = random(Number(process.env["UNREAD_RANDOM_SEED"] ?? 20261202));
      const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
      const roomId = (await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      for (const client of [alice, carol]) assert.equal((await client.post(`${V3}/join/${q(roomId)}`, {})).status, 200);

      const messages: string[] = [];
      const roots: string[] = [];
      const send = async (client: ApiClient, content: Record<string, unknown>): Promise<string> => {
        const res = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${next().toString(36).slice(2)}`, content);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        messages.push(res.body.event_id);
        return res.body.event_id;
      };
      const sync = async (since?: string): Promise<Sync> => {
        const res = await alice.get<Sync>(`${V3}/sync?filter=${FILTER}&timeout=0${since ? `&since=${q(since)}` : ""}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      };

      let since = (await sync()).next_batch;
      const steps: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        const roll = next();
        let what: string;
        if (roll < 0.3 || messages.length < 3) {
          what = "message";
          roots.push(await send(pick([bob, carol]), { msgtype: "m.text", body: `message ${step}` }));
        } else if (roll < 0.4) {
          what = "mention";
          await send(bob, { msgtype: "m.text", body: `hey ${aliceId}`, "m.mentions": { user_ids: [aliceId] } });
        } else if (roll < 0.55) {
          what = "thread reply";
          await send(carol, { msgtype: "m.text", body: `reply ${step}`, "m.relates_to": { rel_type: "m.thread", event_id: pick(roots) } });
        } else if (roll < 0.62) {
          what = "own message";
          await send(alice, { msgtype: "m.text", body: `mine ${step}` });
        } else if (roll < 0.8) {
          const target = pick(messages);
          const type = pick(["m.read", "m.read.private"]);
          const threaded = next() < 0.4;
          what = `${type} ${threaded ? "main-thread " : ""}receipt`;
          const res = await alice.post(`${V3}/rooms/${q(roomId)}/receipt/${type}/${q(target)}`, threaded ? { thread_id: "main" } : {});
          // A receipt in the main thread for a thread's event is refused; that is no change.
          assert.ok(res.status === 200 || res.status === 400, JSON.stringify(res.body));
        } else if (roll < 0.9) {
          what = "redaction";
          const res = await bob.put(`${V3}/rooms/${q(roomId)}/redact/${q(pick(messages))}/${next().toString(36).slice(2)}`, {});
          assert.ok(res.status === 200 || res.status === 403, JSON.stringify(res.body));
        } else {
          what = "move";
          await hs.server.context.services.stagedPushActions.move();
        }
        steps.push(what);

        const incremental = await sync(since);
        since = incremental.next_batch;
        const kept = incremental.rooms?.join?.[roomId];
        if (kept === undefined) continue; // nothing new in the room: no count to compare
        const fresh = (await sync()).rooms?.join?.[roomId];
        assert.deepEqual(
          { unread: kept.unread_notifications, threads: kept.unread_thread_notifications },
          { unread: fresh?.unread_notifications, threads: fresh?.unread_thread_notifications },
          `after step ${step} (${steps.slice(-4).join(", ")})`,
        );
      }
      assert.ok(hs.server.context.services.recentPushActions.answered > 0, "some counts came from the log of recent push actions");
    });
  });
}
