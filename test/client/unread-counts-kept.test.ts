/**
 * Unread counts kept between long-polls (services/push/unread-count-cache.ts): a member woken again
 * and again gets counts that add only what came since (from the log of recent push actions where it
 * can tell, recent-push-actions.ts, else from storage), and these must stay what counting afresh gives
 * through new messages, redactions of messages counted earlier, read receipts, the member's own
 * messages and threads; a count up to an earlier position, and a cache too small to keep every room,
 * answer right as well. On SQLite and PostgreSQL.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";
import { UnreadCountCache } from "../../src/services/push/unread-count-cache.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

type Counts = { notification_count?: number; highlight_count?: number };
type Sync = { next_batch: string; rooms?: { join?: Record<string, { unread_notifications?: Counts; unread_thread_notifications?: Record<string, Counts> }> } };

const THREAD_FILTER = q(JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }));

for (const database of DATABASE_KINDS) {
  describe(`unread counts kept between long-polls on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let aliceId: string;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
      alice = new ApiClient(hs.url);
      bob = new ApiClient(hs.url);
      aliceId = (await alice.register("alice")).user_id;
      await bob.register("bob");
    });
    after(async () => hs.destroy());

    async function sharedRoom(): Promise<string> {
      const created = await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal((await alice.post(`${V3}/join/${q(created.body.room_id)}`, {})).status, 200);
      return created.body.room_id;
    }

    async function send(client: ApiClient, roomId: string, content: Record<string, unknown>): Promise<string> {
      const res = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, content);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    }

    async function sync(query: string): Promise<Sync> {
      const res = await alice.get<Sync>(`${V3}/sync${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    }

    /** Alice's counts from a sync since `since` (kept counts), checked against an initial sync (counted afresh). */
    async function counts(roomId: string, since: string, filter = ""): Promise<{ next: string; unread: Counts | undefined; threads: Record<string, Counts> | undefined }> {
      const incremental = await sync(`?since=${q(since)}&timeout=0${filter ? `&filter=${filter}` : ""}`);
      const fresh = (await sync(filter ? `?filter=${filter}` : "")).rooms?.join?.[roomId];
      const room = incremental.rooms?.join?.[roomId];
      assert.deepEqual(
        { unread: room?.unread_notifications, threads: room?.unread_thread_notifications },
        { unread: fresh?.unread_notifications, threads: fresh?.unread_thread_notifications },
        "the kept count is the fresh count",
      );
      return { next: incremental.next_batch, unread: room?.unread_notifications, threads: room?.unread_thread_notifications };
    }

    it("add each wake-up's messages, and count again after a redaction, a receipt or an own message", async () => {
      const roomId = await sharedRoom();
      let since = (await sync("?timeout=0")).next_batch;
      const sent: string[] = [];
      const log = hs.server.context.services.recentPushActions;
      const answeredBefore = log.answered;
      // Woken once per message: every count after the first adds one message to the kept count.
      for (let i = 1; i <= 6; i++) {
        const waiting = sync(`?since=${q(since)}&timeout=10000`);
        sent.push(await send(bob, roomId, { msgtype: "m.text", body: i === 4 ? `hi ${aliceId}` : `message ${i}`, ...(i === 4 ? { "m.mentions": { user_ids: [aliceId] } } : {}) }));
        const woken = await waiting;
        assert.deepEqual(woken.rooms?.join?.[roomId]?.unread_notifications, { notification_count: i, highlight_count: i >= 4 ? 1 : 0 }, `after message ${i}`);
        since = woken.next_batch;
      }
      assert.ok(log.answered - answeredBefore >= 5, "the counts after the first added what the log of recent push actions holds");

      // The redaction of a message counted two wake-ups ago takes it out of the count.
      assert.equal((await bob.put(`${V3}/rooms/${q(roomId)}/redact/${q(sent[0] as string)}/r1`, {})).status, 200);
      let step = await counts(roomId, since);
      assert.deepEqual(step.unread, { notification_count: 5, highlight_count: 1 });

      // A receipt without any new event: the read positions differ, so the room is counted afresh.
      assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(sent[3] as string)}`, {})).status, 200);
      step = await counts(roomId, step.next);
      assert.deepEqual(step.unread, { notification_count: 2, highlight_count: 0 });
      await send(bob, roomId, { msgtype: "m.text", body: "one more" });
      step = await counts(roomId, step.next);
      assert.deepEqual(step.unread, { notification_count: 3, highlight_count: 0 });

      // Alice's own message reads the room.
      await send(alice, roomId, { msgtype: "m.text", body: "caught up" });
      step = await counts(roomId, step.next);
      assert.deepEqual(step.unread, { notification_count: 0, highlight_count: 0 });
      await send(bob, roomId, { msgtype: "m.text", body: "after yours" });
      step = await counts(roomId, step.next);
      assert.deepEqual(step.unread, { notification_count: 1, highlight_count: 0 });
    });

    it("keep threads apart, adding to each thread its own", async () => {
      const roomId = await sharedRoom();
      let since = (await sync(`?timeout=0&filter=${THREAD_FILTER}`)).next_batch;
      const root = await send(bob, roomId, { msgtype: "m.text", body: "root" });
      const inThread = (body: string) => ({ msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: root } });
      let step = await counts(roomId, since, THREAD_FILTER);
      assert.deepEqual(step.unread, { notification_count: 1, highlight_count: 0 });
      since = step.next;
      const reply = await send(bob, roomId, inThread("reply 1"));
      step = await counts(roomId, since, THREAD_FILTER);
      assert.deepEqual(step.threads, { [root]: { notification_count: 1, highlight_count: 0 } });
      await send(bob, roomId, inThread("reply 2"));
      await send(bob, roomId, { msgtype: "m.text", body: "main 2" });
      step = await counts(roomId, step.next, THREAD_FILTER);
      assert.deepEqual(step.unread, { notification_count: 2, highlight_count: 0 });
      assert.deepEqual(step.threads, { [root]: { notification_count: 2, highlight_count: 0 } });
      assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(reply)}`, { thread_id: root })).status, 200);
      step = await counts(roomId, step.next, THREAD_FILTER);
      assert.deepEqual(step.threads, { [root]: { notification_count: 1, highlight_count: 0 } });
      assert.deepEqual(step.unread, { notification_count: 2, highlight_count: 0 });
    });

    it("count up to an earlier position exactly, and stay right when the cache cannot keep every room", async () => {
      const roomA = await sharedRoom();
      const roomB = await sharedRoom();
      const { db, stores, notifier } = hs.server.context;
      const roomNid = async (roomId: string): Promise<number> => Number((await db.kysely.selectFrom("rooms").select("room_nid").where("room_id", "=", roomId).executeTakeFirstOrThrow()).room_nid);
      const [nidA, nidB] = [await roomNid(roomA), await roomNid(roomB)];
      const total = (counts: readonly { notifications: number }[]): number => counts.reduce((sum, c) => sum + c.notifications, 0);

      // One room kept at a time, shared reads as each database uses them.
      const cache = new UnreadCountCache(stores.pushActions, db.statementsAreRoundTrips, undefined, 1);
      await send(bob, roomA, { msgtype: "m.text", body: "a1" });
      const early = notifier.positions().events;
      await send(bob, roomA, { msgtype: "m.text", body: "a2" });
      await send(bob, roomB, { msgtype: "m.text", body: "b1" });
      const later = notifier.positions().events;
      assert.equal(total(await cache.counts(aliceId, nidA, later)), 2);
      assert.equal(total(await cache.counts(aliceId, nidA, early)), 1, "up to the earlier position");
      assert.equal(total(await cache.counts(aliceId, nidA, later)), 2, "and up to the later one again");
      for (let i = 0; i < 3; i++) {
        await send(bob, roomA, { msgtype: "m.text", body: `a${i + 3}` });
        await send(bob, roomB, { msgtype: "m.text", body: `b${i + 2}` });
        const now = notifier.positions().events;
        assert.equal(total(await cache.counts(aliceId, nidA, now)), i + 3);
        assert.equal(total(await cache.counts(aliceId, nidB, now)), i + 2);
      }
    });
  });
}
