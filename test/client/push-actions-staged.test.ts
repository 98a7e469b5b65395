/**
 * Push actions are written to a staging table and moved in batches to the table ordered by user
 * (services/push/staged-push-actions.ts, migration 035). Whatever lies where, every reader must give
 * the same answers: unread counts in /sync (main timeline and threads), GET /notifications with its
 * pages and highlights, what pushers deliver, redactions and read receipts. Here some of a user's
 * notifications are moved and some staged when each is read. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

type Counts = { notification_count: number; highlight_count: number };
type Sync = { next_batch: string; rooms: { join: Record<string, { unread_notifications: Counts; unread_thread_notifications?: Record<string, Counts> }> } };
type Notification = { event: { event_id: string }; room_id: string };

const THREAD_FILTER = q(JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }));

for (const database of DATABASE_KINDS) {
  describe(`push actions staged and moved on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let aliceId: string;

    before(async () => {
      // Moves happen when the test says (an hour apart otherwise), so that it knows what lies where.
      hs = await startTestServer({ database, config: { presence: { enabled: false }, push: { staged_actions_move_ms: 3_600_000 } } });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
      aliceId = `@alice:${hs.serverName}`;
    });
    after(async () => hs.destroy());

    async function send(roomId: string, content: Record<string, unknown>): Promise<string> {
      const res = await bob.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, content);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    }

    async function where(): Promise<{ moved: number; staged: number }> {
      const { db } = hs.server.context;
      const count = async (table: "event_push_actions" | "event_push_actions_staging"): Promise<number> =>
        Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).where("user_id", "=", aliceId).executeTakeFirstOrThrow()).n);
      return { moved: await count("event_push_actions"), staged: await count("event_push_actions_staging") };
    }

    async function counts(roomId: string): Promise<{ unread: Counts | undefined; threads: Record<string, Counts> | undefined }> {
      const res = await alice.get<Sync>(`${V3}/sync?filter=${THREAD_FILTER}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const room = res.body.rooms.join[roomId];
      return { unread: room?.unread_notifications, threads: room?.unread_thread_notifications };
    }

    it("count, list and deliver the same notifications wherever they lie", async () => {
      const { roomId } = { roomId: (await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id };
      assert.equal((await alice.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
      const root = await send(roomId, { msgtype: "m.text", body: "root" });
      const mention = await send(roomId, { msgtype: "m.text", body: `hi ${aliceId}`, "m.mentions": { user_ids: [aliceId] } });
      const inThread = await send(roomId, { msgtype: "m.text", body: "reply", "m.relates_to": { rel_type: "m.thread", event_id: root } });
      await hs.server.context.services.stagedPushActions.move();
      assert.deepEqual(await where(), { moved: 3, staged: 0 }, "the first three were moved");
      const fourth = await send(roomId, { msgtype: "m.text", body: "four" });
      const fifth = await send(roomId, { msgtype: "m.text", body: "five" });
      assert.deepEqual(await where(), { moved: 3, staged: 2 });

      assert.deepEqual(await counts(roomId), {
        unread: { notification_count: 4, highlight_count: 1 },
        threads: { [root]: { notification_count: 1, highlight_count: 0 } },
      });

      const all = await alice.get<{ notifications: Notification[] }>(`${V3}/notifications`);
      assert.deepEqual(all.body.notifications.map((n) => n.event.event_id), [fifth, fourth, inThread, mention, root], "newest first, from both tables");
      const page1 = await alice.get<{ notifications: Notification[]; next_token?: string }>(`${V3}/notifications?limit=3`);
      assert.deepEqual(page1.body.notifications.map((n) => n.event.event_id), [fifth, fourth, inThread]);
      const page2 = await alice.get<{ notifications: Notification[] }>(`${V3}/notifications?limit=3&from=${q(page1.body.next_token as string)}`);
      assert.deepEqual(page2.body.notifications.map((n) => n.event.event_id), [mention, root]);
      const highlights = await alice.get<{ notifications: Notification[] }>(`${V3}/notifications?only=highlight`);
      assert.deepEqual(highlights.body.notifications.map((n) => n.event.event_id), [mention]);

      // What a pusher would deliver, in stream order.
      const { stores, notifier } = hs.server.context;
      const now = notifier.position("events");
      const pending = await stores.pushers.pending(aliceId, 0, now, 10);
      const nidOf = async (eventId: string): Promise<number> =>
        Number((await hs.server.context.db.kysely.selectFrom("event_ids").select("event_nid").where("event_id", "=", eventId).executeTakeFirstOrThrow()).event_nid);
      assert.deepEqual(
        pending.map((p) => p.eventNid),
        await Promise.all([root, mention, inThread, fourth, fifth].map(nidOf)),
      );
      assert.deepEqual((await stores.pushers.pending(aliceId, 0, now, 2)).length, 2, "the limit holds across both tables");
      const among = await stores.pushers.notifiedAmong([aliceId, "@nobody:localhost"], 0, now, 10);
      assert.equal(among?.get(aliceId)?.length, 5);

      // Redactions of a moved and of a staged notification take both out.
      assert.equal((await bob.put(`${V3}/rooms/${q(roomId)}/redact/${q(mention)}/r1`, {})).status, 200);
      assert.equal((await bob.put(`${V3}/rooms/${q(roomId)}/redact/${q(fifth)}/r2`, {})).status, 200);
      assert.deepEqual((await counts(roomId)).unread, { notification_count: 2, highlight_count: 0 });
      const left = await alice.get<{ notifications: Notification[] }>(`${V3}/notifications`);
      assert.deepEqual(left.body.notifications.map((n) => n.event.event_id), [fourth, inThread, root]);

      // A read receipt counts from where it points, in either table.
      assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(inThread)}`, {})).status, 200);
      assert.deepEqual(await counts(roomId), { unread: { notification_count: 1, highlight_count: 0 }, threads: undefined });

      // Moving again moves the rest and changes no answer; a move with nothing new does nothing.
      await hs.server.context.services.stagedPushActions.move();
      assert.deepEqual(await where(), { moved: 3, staged: 0 });
      await hs.server.context.services.stagedPushActions.move();
      assert.deepEqual(await counts(roomId), { unread: { notification_count: 1, highlight_count: 0 }, threads: undefined });
    });
  });
}
