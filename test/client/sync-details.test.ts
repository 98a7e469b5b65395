/**
 * /sync details that the shared, cached computation must keep: lazy-loaded members in incremental
 * syncs (sent once per device, again with include_redundant_members), each woken long-poll's own view
 * of the same event (transaction_id for the sending device only), and forgotten rooms leaving at once.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
type Event = { type: string; sender: string; state_key?: string; event_id: string; content: Record<string, unknown>; unsigned?: Record<string, unknown> };
type RoomEntry = { timeline: { events: Event[]; limited: boolean }; state: { events: Event[] } };
type Sync = { next_batch: string; rooms: { join: Record<string, RoomEntry>; leave: Record<string, unknown> } };

const LAZY = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true } } });
const LAZY_REDUNDANT = JSON.stringify({ room: { timeline: { limit: 1 }, state: { lazy_load_members: true, include_redundant_members: true } } });

function memberStateKeys(sync: Sync, roomId: string): string[] {
  return (sync.rooms.join[roomId]?.state.events ?? [])
    .filter((e) => e.type === "m.room.member")
    .map((e) => e.state_key as string)
    .sort();
}

async function login(hs: TestServer, user: string, password: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const res = await client.post<{ access_token: string }>(`${V3}/login`, { type: "m.login.password", identifier: { type: "m.id.user", user }, password }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

for (const database of DATABASE_KINDS) {
  describe(`sync details on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      alice = new ApiClient(hs.url);
      bob = new ApiClient(hs.url);
      carol = new ApiClient(hs.url);
      await alice.register("alice", "alice password");
      await bob.register("bob");
      await carol.register("carol");
    });
    after(async () => hs.destroy());

    const sync = async (client: ApiClient, filter: string, since?: string): Promise<Sync> => {
      const res = await client.get<Sync>(`${V3}/sync?filter=${encodeURIComponent(filter)}${since ? `&since=${since}` : ""}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const say = async (client: ApiClient, roomId: string, body: string, txn = `t${Math.random()}`): Promise<string> => {
      const res = await client.put<{ event_id: string }>(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, { msgtype: "m.text", body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.event_id;
    };

    it("sends the member events of new timeline senders in incremental syncs, once per device", async () => {
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      for (const c of [bob, carol]) assert.equal((await c.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
      await say(alice, roomId, "welcome");

      const initial = await sync(alice, LAZY);
      assert.deepEqual(memberStateKeys(initial, roomId), ["@alice:localhost"], "initial: only the timeline's sender (alice herself)");

      await say(bob, roomId, "hello");
      const first = await sync(alice, LAZY, initial.next_batch);
      assert.equal(first.rooms.join[roomId]?.timeline.limited, false);
      assert.deepEqual(memberStateKeys(first, roomId), ["@bob:localhost"], "bob's member event comes with his first message");

      await say(bob, roomId, "again");
      const second = await sync(alice, LAZY, first.next_batch);
      assert.deepEqual(memberStateKeys(second, roomId), [], "already sent to this device");

      await say(bob, roomId, "and again");
      const redundant = await sync(alice, LAZY_REDUNDANT, second.next_batch);
      assert.deepEqual(memberStateKeys(redundant, roomId), ["@bob:localhost"], "include_redundant_members sends it anyway");

      // Another device of alice's has been sent nothing yet.
      const laptop = await login(hs, "alice", "alice password");
      const laptopInitial = await sync(laptop, LAZY);
      assert.deepEqual(memberStateKeys(laptopInitial, roomId), ["@alice:localhost", "@bob:localhost"]);
      await say(carol, roomId, "hi all");
      const laptopNext = await sync(laptop, LAZY, laptopInitial.next_batch);
      assert.deepEqual(memberStateKeys(laptopNext, roomId), ["@carol:localhost"]);
      await say(bob, roomId, "bob again");
      assert.deepEqual(memberStateKeys(await sync(laptop, LAZY, laptopNext.next_batch), roomId), [], "the laptop had bob's from its initial sync");

      // An initial sync starts the device over: what it was sent before counts no more.
      const restart = await sync(alice, LAZY);
      await say(bob, roomId, "after restart");
      const afterRestart = await sync(alice, LAZY, restart.next_batch);
      assert.deepEqual(memberStateKeys(afterRestart, roomId), [], "bob's member came with the initial sync (his message was its timeline)");
      await say(carol, roomId, "carol after restart");
      assert.deepEqual(memberStateKeys(await sync(alice, LAZY, afterRestart.next_batch), roomId), ["@carol:localhost"]);
    });

    it("leaves out the member event of a sender whose join is in the same timeline", async () => {
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      const filter = JSON.stringify({ room: { timeline: { limit: 10 }, state: { lazy_load_members: true } } });
      const initial = await sync(alice, filter);
      const dave = new ApiClient(hs.url);
      await dave.register("dave");
      assert.equal((await dave.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
      await say(dave, roomId, "I'm new");
      const next = await sync(alice, filter, initial.next_batch);
      const room = next.rooms.join[roomId] as RoomEntry;
      assert.deepEqual(
        room.timeline.events.map((e) => e.type),
        ["m.room.member", "m.room.message"],
      );
      assert.deepEqual(memberStateKeys(next, roomId), [], "the timeline carries dave's join");
      await say(dave, roomId, "me again");
      assert.deepEqual(memberStateKeys(await sync(alice, filter, next.next_batch), roomId), [], "and it counts as sent");
    });

    it("gives each long-poll woken by one event its own view of it", async () => {
      const roomId = (await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
      const phone = await login(hs, "alice", "alice password");
      const pollers = [alice, phone, bob];
      const tokens = await Promise.all(pollers.map(async (c) => (await c.get<Sync>(`${V3}/sync`)).body.next_batch));
      const sent: { eventId?: string } = {};
      // Each long-polls until a response carries the message (another update, presence, may come first).
      const polls = pollers.map(async (c, i) => {
        let since = tokens[i] as string;
        for (let attempt = 0; attempt < 20; attempt++) {
          const res = await c.get<Sync>(`${V3}/sync?timeout=10000&since=${since}`);
          assert.equal(res.status, 200);
          const found = res.body.rooms.join[roomId]?.timeline.events.find((e) => e.event_id === sent.eventId || e.content["body"] === "to everyone");
          if (found) return found;
          since = res.body.next_batch;
        }
        return undefined;
      });
      await new Promise((r) => setTimeout(r, 200));
      sent.eventId = await say(alice, roomId, "to everyone", "shared-txn");
      const views = await Promise.all(polls);
      for (const view of views) {
        assert.ok(view, "every long-poll gets the message");
        assert.equal(view.content["body"], "to everyone");
        assert.equal(typeof view.unsigned?.["age"], "number");
      }
      assert.equal(views[0]?.unsigned?.["transaction_id"], "shared-txn", "the sending device gets its transaction ID");
      assert.equal(views[1]?.unsigned?.["transaction_id"], undefined, "another device of the sender does not");
      assert.equal(views[2]?.unsigned?.["transaction_id"], undefined, "nor does another user");
    });

    it("stops showing a room once it is forgotten", async () => {
      const roomId = (await bob.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" })).body.room_id;
      assert.equal((await carol.post(`${V3}/join/${encodeURIComponent(roomId)}`, {})).status, 200);
      const withLeave = JSON.stringify({ room: { include_leave: true } });
      assert.ok((await sync(carol, withLeave)).rooms.join[roomId], "joined");
      assert.equal((await carol.post(`${V3}/rooms/${encodeURIComponent(roomId)}/leave`, {})).status, 200);
      assert.ok((await sync(carol, withLeave)).rooms.leave[roomId], "left, shown with include_leave");
      assert.equal((await carol.post(`${V3}/rooms/${encodeURIComponent(roomId)}/forget`, {})).status, 200);
      assert.equal((await sync(carol, withLeave)).rooms.leave[roomId], undefined, "forgotten: gone");
    });
  });
}
