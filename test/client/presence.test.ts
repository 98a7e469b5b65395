/**
 * Presence over HTTP and /sync on SQLite and PostgreSQL: explicit status, who may see it, set_presence,
 * the idle and offline timeouts (short ones through the config), and the switch that turns it off.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
type PresenceEvent = { type: string; sender: string; content: { presence: string; status_msg?: string; currently_active?: boolean; last_active_ago?: number } };
type Sync = { next_batch: string; presence: { events: PresenceEvent[] } };
type Presence = { presence: string; status_msg?: string; currently_active?: boolean; last_active_ago?: number };

const q = encodeURIComponent;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function presenceOf(sync: Sync, userId: string): PresenceEvent | undefined {
  return sync.presence.events.filter((e) => e.sender === userId).at(-1);
}

async function getPresence(client: ApiClient, userId: string): Promise<Presence> {
  const res = await client.get<Presence>(`${V3}/presence/${q(userId)}/status`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** Polls the user's presence until it is `state`; returns how long that took. */
async function waitForState(client: ApiClient, userId: string, state: string, ms = 8000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await getPresence(client, userId)).presence === state) return Date.now() - start;
    assert.ok(Date.now() - start < ms, `${userId} did not become ${state} in time`);
    await sleep(50);
  }
}

async function shareRoom(a: ApiClient, b: ApiClient): Promise<string> {
  const created = await a.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal((await b.post(`${V3}/join/${q(created.body.room_id)}`, {})).status, 200);
  return created.body.room_id;
}

for (const database of DATABASE_KINDS) {
  const skip = database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false;

  describe(`presence on ${database}`, { skip }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
      await shareRoom(alice, bob);
    });
    after(async () => hs.destroy());

    it("sets and reads a status, for the user and those who share a room", async () => {
      const set = await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { presence: "online", status_msg: "I am here." });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body, {});
      const own = await getPresence(alice, "@alice:localhost");
      assert.equal(own.presence, "online");
      assert.equal(own.status_msg, "I am here.");
      assert.equal(own.currently_active, true);
      assert.ok(typeof own.last_active_ago === "number" && own.last_active_ago >= 0 && own.last_active_ago < 10_000);
      const seen = await getPresence(bob, "@alice:localhost");
      assert.equal(seen.presence, "online");
      assert.equal(seen.status_msg, "I am here.");

      assert.equal((await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { presence: "unavailable" })).status, 200);
      const away = await getPresence(bob, "@alice:localhost");
      assert.equal(away.presence, "unavailable");
      assert.equal(away.status_msg, undefined, "a new status without a message clears it");
      assert.equal(away.currently_active, undefined, "currently_active is only sent while online");
    });

    it("refuses others' presence and users who share no room", async () => {
      const stranger = await carol.get(`${V3}/presence/${q("@alice:localhost")}/status`);
      assert.equal(stranger.status, 403);
      assert.equal(stranger.body["errcode"], "M_FORBIDDEN");
      const nobody = await alice.get(`${V3}/presence/${q("@nobody:localhost")}/status`);
      assert.equal(nobody.status, 404);
      assert.equal(nobody.body["errcode"], "M_NOT_FOUND");
      const forOther = await alice.put(`${V3}/presence/${q("@bob:localhost")}/status`, { presence: "online" });
      assert.equal(forOther.status, 403);
      assert.equal(forOther.body["errcode"], "M_FORBIDDEN");
      const badState = await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { presence: "busy" });
      assert.equal(badState.status, 400);
      assert.equal(badState.body["errcode"], "M_BAD_JSON");
      const missing = await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { status_msg: "no state" });
      assert.equal(missing.status, 400);
      assert.equal(missing.body["errcode"], "M_MISSING_PARAM");
      const badSet = await alice.get(`${V3}/sync?set_presence=busy`);
      assert.equal(badSet.status, 400);
    });

    it("sends presence changes in /sync to users who share a room, and wakes them", async () => {
      const start = await bob.get<Sync>(`${V3}/sync?set_presence=offline`);
      assert.equal(start.status, 200);
      const poll = bob.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}&timeout=10000&set_presence=offline`);
      await sleep(100);
      const began = Date.now();
      await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { presence: "online", status_msg: "back" });
      const woken = await poll;
      assert.ok(Date.now() - began < 5000, "the long-poll returned with the presence change");
      const event = presenceOf(woken.body, "@alice:localhost");
      assert.ok(event, JSON.stringify(woken.body.presence));
      assert.equal(event.type, "m.presence");
      assert.equal(event.content.presence, "online");
      assert.equal(event.content.status_msg, "back");
      assert.equal(event.content.currently_active, true);

      const initial = await bob.get<Sync>(`${V3}/sync?set_presence=offline`);
      assert.equal(presenceOf(initial.body, "@alice:localhost")?.content.presence, "online", "an initial sync has current presence");
      const stranger = await carol.get<Sync>(`${V3}/sync?set_presence=offline`);
      assert.equal(presenceOf(stranger.body, "@alice:localhost"), undefined, "carol shares no room with alice");
      const filtered = await bob.get<Sync>(`${V3}/sync?set_presence=offline&filter=${q(JSON.stringify({ presence: { not_senders: ["@alice:localhost"] } }))}`);
      assert.equal(presenceOf(filtered.body, "@alice:localhost"), undefined, "the presence filter applies");
    });

    it("follows set_presence on /sync", async () => {
      const dave = new ApiClient(hs.url);
      await dave.register("dave");
      assert.equal((await dave.get(`${V3}/sync?set_presence=offline`)).status, 200);
      assert.equal((await getPresence(dave, "@dave:localhost")).presence, "offline", "set_presence=offline leaves presence alone");
      const synced = await dave.get<Sync>(`${V3}/sync`);
      assert.equal((await getPresence(dave, "@dave:localhost")).presence, "online", "syncing makes the user online");
      assert.equal(presenceOf(synced.body, "@dave:localhost")?.content.presence, "online", "the user sees their own presence");
      await dave.get(`${V3}/sync?set_presence=unavailable`);
      assert.equal((await getPresence(dave, "@dave:localhost")).presence, "unavailable");
      await dave.get(`${V3}/sync`);
      assert.equal((await getPresence(dave, "@dave:localhost")).presence, "unavailable", "syncing is not activity: idle stays idle");
      const roomId = await shareRoom(dave, bob);
      await dave.put(`${V3}/rooms/${q(roomId)}/send/m.room.message/act1`, { msgtype: "m.text", body: "I am back" });
      await waitForState(dave, "@dave:localhost", "online", 3000);
    });
  });

  describe(`presence timeouts on ${database}`, { skip }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let roomId: string;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { idle_timeout_ms: 800, offline_timeout_ms: 800 } } });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
      roomId = await shareRoom(alice, bob);
    });
    after(async () => hs.destroy());

    it("goes offline once the user stops syncing, and tells room members", async () => {
      const watch = await bob.get<Sync>(`${V3}/sync?set_presence=offline`);
      await waitForState(bob, "@alice:localhost", "offline");
      assert.equal((await alice.get(`${V3}/sync`)).status, 200);
      const ended = Date.now();
      assert.equal((await getPresence(bob, "@alice:localhost")).presence, "online");
      await waitForState(bob, "@alice:localhost", "offline");
      const took = Date.now() - ended;
      assert.ok(took >= 700, `offline too early (${took} ms after the sync ended)`);
      // GET /presence applies the timeout as it reads; the stored change (what /sync delivers) follows
      // when the timer fires, a moment later: follow /sync until alice's latest presence there is known.
      let since = watch.body.next_batch;
      let latest: string | undefined;
      for (let round = 0; round < 10 && latest !== "offline"; round++) {
        const seen: { body: Sync } = await bob.get<Sync>(`${V3}/sync?set_presence=offline&timeout=1000&since=${q(since)}`);
        latest = presenceOf(seen.body, "@alice:localhost")?.content.presence ?? latest;
        since = seen.body.next_batch;
      }
      assert.equal(latest, "offline");
    });

    it("stays online while a long-poll is open, idles without activity, and comes back on activity", async () => {
      await waitForState(bob, "@alice:localhost", "offline");
      let syncing = true;
      const loop = (async () => {
        let since: string | undefined;
        while (syncing) {
          const res: { body: Sync } = await alice.get<Sync>(`${V3}/sync?timeout=400${since ? `&since=${q(since)}` : ""}`);
          since = res.body.next_batch;
        }
      })();
      try {
        await waitForState(bob, "@alice:localhost", "online");
        // Idle after 800 ms without activity, but never offline while syncing.
        await waitForState(bob, "@alice:localhost", "unavailable");
        await sleep(1200);
        assert.equal((await getPresence(bob, "@alice:localhost")).presence, "unavailable");
        // Typing is activity: online again and currently active.
        assert.equal((await alice.put(`${V3}/rooms/${q(roomId)}/typing/${q("@alice:localhost")}`, { typing: true, timeout: 1000 })).status, 200);
        await waitForState(bob, "@alice:localhost", "online", 2000);
        const active = await getPresence(bob, "@alice:localhost");
        assert.ok(active.currently_active === true || active.presence !== "online");
      } finally {
        syncing = false;
        await loop;
      }
      await waitForState(bob, "@alice:localhost", "offline");
    });
  });

  describe(`presence disabled on ${database}`, { skip }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;

    before(async () => {
      hs = await startTestServer({ database, config: { presence: { enabled: false } } });
      [alice, bob] = await registeredClients(hs.url, "alice", "bob");
      await shareRoom(alice, bob);
    });
    after(async () => hs.destroy());

    it("answers the endpoints but tracks and sends nothing", async () => {
      const start = await bob.get<Sync>(`${V3}/sync`);
      assert.equal((await alice.put(`${V3}/presence/${q("@alice:localhost")}/status`, { presence: "online", status_msg: "hi" })).status, 200);
      await alice.get(`${V3}/sync`);
      assert.deepEqual(await getPresence(bob, "@alice:localhost"), { presence: "offline" });
      const later = await bob.get<Sync>(`${V3}/sync?since=${q(start.body.next_batch)}`);
      assert.deepEqual(later.body.presence.events, []);
      const initial = await bob.get<Sync>(`${V3}/sync`);
      assert.deepEqual(initial.body.presence.events, []);
    });
  });
}
