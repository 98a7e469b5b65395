import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient} from "../harness/client.js";
import { registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
type AccountDataEvent = { type: string; content: Record<string, unknown> };
type TimelineEvent = { type: string; sender: string; event_id: string; content: Record<string, unknown> };
type Sync = {
  next_batch: string;
  account_data: { events: AccountDataEvent[] };
  rooms: {
    join: Record<string, { timeline: { events: TimelineEvent[] }; account_data: { events: AccountDataEvent[] } }>;
    invite: Record<string, unknown>;
  };
};

const enc = encodeURIComponent;

for (const database of DATABASE_KINDS) {
  describe(`account data, tags and ignored users on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
    let hs: TestServer;
    let alice: ApiClient;
    let bob: ApiClient;
    let carol: ApiClient;
    const aliceId = "@alice:localhost";

    before(async () => {
      hs = await startTestServer({ database });
      [alice, bob, carol] = await registeredClients(hs.url, "alice", "bob", "carol");
    });
    after(async () => hs.destroy());

    it("stores and returns global and room account data, and 404s when absent", async () => {
      const path = `${V3}/user/${enc(aliceId)}/account_data/org.example.custom.config`;
      const missing = await alice.get(path);
      assert.equal(missing.status, 404);
      assert.equal(missing.body["errcode"], "M_NOT_FOUND");
      // The spec's example body.
      assert.equal((await alice.put(path, { custom_account_data_key: "custom_config_value" })).status, 200);
      assert.deepEqual((await alice.get(path)).body, { custom_account_data_key: "custom_config_value" });
      assert.equal((await alice.put(path, { replaced: true, ratio: 0.25 })).status, 200);
      assert.deepEqual((await alice.get(path)).body, { replaced: true, ratio: 0.25 }, "a second PUT replaces the content; fractions are kept");

      const roomId = "!726s6s6q:example.com";
      const roomPath = `${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/account_data/org.example.custom.room.config`;
      assert.equal((await alice.get(roomPath)).status, 404);
      assert.equal((await alice.put(roomPath, { custom_account_data_key: "custom_account_data_value" })).status, 200);
      assert.deepEqual((await alice.get(roomPath)).body, { custom_account_data_key: "custom_account_data_value" });
      // No inheritance between room and global data of the same type.
      assert.equal((await alice.get(`${V3}/user/${enc(aliceId)}/account_data/org.example.custom.room.config`)).status, 404);
      assert.equal((await alice.get(`${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/account_data/org.example.custom.config`)).status, 404);
    });

    it("refuses other users' account data with 403 and bad input with spec errors", async () => {
      const alicePath = `${V3}/user/${enc(aliceId)}/account_data/org.example.secret`;
      await alice.put(alicePath, { secret: 1 });
      const read = await bob.get(alicePath);
      assert.equal(read.status, 403);
      assert.equal(read.body["errcode"], "M_FORBIDDEN");
      const write = await bob.put(alicePath, { x: 1 });
      assert.equal(write.status, 403);
      assert.equal(write.body["errcode"], "M_FORBIDDEN");
      const roomWrite = await bob.put(`${V3}/user/${enc(aliceId)}/rooms/${enc("!r:localhost")}/account_data/t`, { x: 1 });
      assert.equal(roomWrite.status, 403);
      assert.deepEqual((await alice.get(alicePath)).body, { secret: 1 });

      const notJson = await alice.request("PUT", alicePath, undefined, { rawBody: "{not json" });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body["errcode"], "M_NOT_JSON");
      const notObject = await alice.request("PUT", alicePath, undefined, { rawBody: "[1, 2]" });
      assert.equal(notObject.status, 400);
      assert.equal(notObject.body["errcode"], "M_BAD_JSON");
      const duplicate = await alice.request("PUT", alicePath, undefined, { rawBody: '{"a": 1, "a": 2}' });
      assert.equal(duplicate.status, 400);
      assert.equal(duplicate.body["errcode"], "M_BAD_JSON");
      const huge = await alice.request("PUT", alicePath, undefined, { rawBody: '{"a": 123456789012345678901234}' });
      assert.equal(huge.status, 400);
      assert.equal(huge.body["errcode"], "M_BAD_JSON");

      const badRoom = await alice.put(`${V3}/user/${enc(aliceId)}/rooms/${enc("@notaroomid:example.org")}/account_data/t`, { x: 1 });
      assert.equal(badRoom.status, 400);
      assert.equal(badRoom.body["errcode"], "M_INVALID_PARAM");
      const badRoomGet = await alice.get(`${V3}/user/${enc(aliceId)}/rooms/${enc("@notaroomid:example.org")}/account_data/t`);
      assert.equal(badRoomGet.status, 400);
      assert.equal(badRoomGet.body["errcode"], "M_INVALID_PARAM");

      const noToken = await alice.get(alicePath, { token: null });
      assert.equal(noToken.status, 401);
      assert.equal(noToken.body["errcode"], "M_MISSING_TOKEN");
    });

    it("refuses server-managed types with 405 M_BAD_JSON, globally and per room", async () => {
      for (const type of ["m.fully_read", "m.push_rules"]) {
        const global = await alice.put(`${V3}/user/${enc(aliceId)}/account_data/${type}`, { event_id: "$x" });
        assert.equal(global.status, 405, type);
        assert.equal(global.body["errcode"], "M_BAD_JSON");
        const room = await alice.put(`${V3}/user/${enc(aliceId)}/rooms/${enc("!r:localhost")}/account_data/${type}`, { event_id: "$x" });
        assert.equal(room.status, 405, type);
        assert.equal(room.body["errcode"], "M_BAD_JSON");
      }
    });

    it("syncs account data: everything initially, changes incrementally, and wakes a long-poll", async () => {
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      const roomId = created.body.room_id;
      await alice.put(`${V3}/user/${enc(aliceId)}/account_data/org.example.sync`, { n: 1 });
      await alice.put(`${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/account_data/org.example.roomsync`, { r: 1 });

      const initial = await alice.get<Sync>(`${V3}/sync`);
      assert.equal(initial.status, 200);
      assert.deepEqual(initial.body.account_data.events.find((e) => e.type === "org.example.sync"), { type: "org.example.sync", content: { n: 1 } });
      assert.ok(initial.body.account_data.events.some((e) => e.type === "org.example.custom.config"), "older global data is in an initial sync");
      assert.deepEqual(initial.body.rooms.join[roomId]!.account_data.events, [{ type: "org.example.roomsync", content: { r: 1 } }]);

      const quiet = await alice.get<Sync>(`${V3}/sync?since=${initial.body.next_batch}&timeout=0`);
      assert.deepEqual(quiet.body.account_data.events, []);
      assert.equal(quiet.body.rooms.join[roomId], undefined);

      const poll = alice.get<Sync>(`${V3}/sync?since=${quiet.body.next_batch}&timeout=10000`);
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await alice.put(`${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/account_data/org.example.roomsync`, { r: 2 });
      const woken = await poll;
      assert.ok(Date.now() - started < 5000, "a room account-data change wakes the long-poll");
      assert.deepEqual(woken.body.account_data.events, []);
      assert.deepEqual(woken.body.rooms.join[roomId]!.account_data.events, [{ type: "org.example.roomsync", content: { r: 2 } }]);
      assert.deepEqual(woken.body.rooms.join[roomId]!.timeline.events, [], "the room is sent for its account data alone");

      await alice.put(`${V3}/user/${enc(aliceId)}/account_data/org.example.sync`, { n: 2 });
      const incremental = await alice.get<Sync>(`${V3}/sync?since=${woken.body.next_batch}&timeout=0`);
      assert.deepEqual(incremental.body.account_data.events, [{ type: "org.example.sync", content: { n: 2 } }]);

      // Filters select account data by type.
      const filter = JSON.stringify({ account_data: { not_types: ["org.example.sync"] }, room: { account_data: { types: ["nothing.*"] } } });
      const filtered = await alice.get<Sync>(`${V3}/sync?filter=${enc(filter)}`);
      assert.equal(filtered.body.account_data.events.some((e) => e.type === "org.example.sync"), false);
      assert.deepEqual(filtered.body.rooms.join[roomId]!.account_data.events, []);

      // Another user never sees alice's data.
      const bobSync = await bob.get<Sync>(`${V3}/sync`);
      assert.equal(bobSync.body.account_data.events.some((e) => e.type.startsWith("org.example")), false);
    });

    it("tags rooms: add with order, list, replace, remove, and sync them as m.tag", async () => {
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
      const roomId = created.body.room_id;
      const tags = `${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/tags`;
      assert.deepEqual((await alice.get(tags)).body, { tags: {} });
      const before = await alice.get<Sync>(`${V3}/sync`);
      assert.equal((await alice.put(`${tags}/m.favourite`, { order: 0.1 })).status, 200);
      assert.equal((await alice.put(`${tags}/u.Work`, { order: 0.7 })).status, 200);
      assert.equal((await alice.put(`${tags}/u.Customers`, {})).status, 200);
      // The spec's example response.
      assert.deepEqual((await alice.get(tags)).body, { tags: { "m.favourite": { order: 0.1 }, "u.Work": { order: 0.7 }, "u.Customers": {} } });
      assert.equal((await alice.put(`${tags}/u.Work`, { order: 0.25 })).status, 200);
      assert.equal((await alice.delete(`${tags}/u.Customers`)).status, 200);
      assert.equal((await alice.delete(`${tags}/u.never-set`)).status, 200, "removing an absent tag succeeds");
      assert.deepEqual((await alice.get(tags)).body, { tags: { "m.favourite": { order: 0.1 }, "u.Work": { order: 0.25 } } });
      // Tags are room account data m.tag.
      assert.deepEqual((await alice.get(`${V3}/user/${enc(aliceId)}/rooms/${enc(roomId)}/account_data/m.tag`)).body, {
        tags: { "m.favourite": { order: 0.1 }, "u.Work": { order: 0.25 } },
      });
      const synced = await alice.get<Sync>(`${V3}/sync?since=${before.body.next_batch}&timeout=0`);
      assert.deepEqual(synced.body.rooms.join[roomId]!.account_data.events, [{ type: "m.tag", content: { tags: { "m.favourite": { order: 0.1 }, "u.Work": { order: 0.25 } } } }]);

      // Concurrent tag writes are not lost.
      await Promise.all(Array.from({ length: 8 }, (_, i) => alice.put(`${tags}/u.t${i}`, { order: i / 10 })));
      const all = (await alice.get<{ tags: Record<string, unknown> }>(tags)).body.tags;
      for (let i = 0; i < 8; i++) assert.ok(all[`u.t${i}`], `u.t${i} survived`);

      const others = await bob.get(tags);
      assert.equal(others.status, 403);
      assert.equal(others.body["errcode"], "M_FORBIDDEN");
      assert.equal((await bob.put(`${tags}/u.x`, {})).status, 403);
      assert.equal((await bob.delete(`${tags}/m.favourite`)).status, 403);
      const badOrder = await alice.put(`${tags}/u.bad`, { order: "first" });
      assert.equal(badOrder.status, 400);
      assert.equal(badOrder.body["errcode"], "M_BAD_JSON");
      const longTag = await alice.put(`${tags}/${"x".repeat(256)}`, {});
      assert.equal(longTag.status, 400);
      assert.equal(longTag.body["errcode"], "M_INVALID_PARAM");
      const badRoom = await alice.get(`${V3}/user/${enc(aliceId)}/rooms/not-a-room/tags`);
      assert.equal(badRoom.status, 400);
      assert.equal(badRoom.body["errcode"], "M_INVALID_PARAM");
    });

    it("ignores users: their messages leave /sync, /messages and /context, their invites leave /sync, state stays", async () => {
      const created = await carol.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat", name: "ignoring" });
      const roomId = created.body.room_id;
      const room = enc(roomId);
      assert.equal((await bob.post(`${V3}/join/${room}`, {})).status, 200);
      const before = await bob.put<{ event_id: string }>(`${V3}/rooms/${room}/send/m.room.message/i0`, { msgtype: "m.text", body: "before ignoring" });
      const start = await bob.get<Sync>(`${V3}/sync`);

      const self = await bob.put(`${V3}/user/${enc("@bob:localhost")}/account_data/m.ignored_user_list`, { ignored_users: { "@bob:localhost": {} } });
      assert.equal(self.status, 400, "one cannot ignore oneself (as Synapse)");
      assert.equal(self.body["errcode"], "M_INVALID_PARAM");
      assert.equal((await bob.put(`${V3}/user/${enc("@bob:localhost")}/account_data/m.ignored_user_list`, { ignored_users: { "@carol:localhost": {} } })).status, 200);

      const hidden = await carol.put<{ event_id: string }>(`${V3}/rooms/${room}/send/m.room.message/i1`, { msgtype: "m.text", body: "you cannot see me" });
      await carol.put(`${V3}/rooms/${room}/state/m.room.topic`, { topic: "state still arrives" });
      const speaks = await bob.put<{ event_id: string }>(`${V3}/rooms/${room}/send/m.room.message/i2`, { msgtype: "m.text", body: "bob speaks" });

      const incremental = await bob.get<Sync>(`${V3}/sync?since=${start.body.next_batch}&timeout=0`);
      assert.deepEqual(incremental.body.account_data.events.find((e) => e.type === "m.ignored_user_list"), { type: "m.ignored_user_list", content: { ignored_users: { "@carol:localhost": {} } } });
      const timeline = incremental.body.rooms.join[roomId]!.timeline.events;
      assert.equal(timeline.some((e) => e.event_id === hidden.body.event_id), false, "carol's message is left out");
      assert.ok(timeline.some((e) => e.type === "m.room.topic" && e.sender === "@carol:localhost"), "carol's state events are still sent");
      assert.ok(timeline.some((e) => e.content["body"] === "bob speaks"));

      const fresh = await bob.get<Sync>(`${V3}/sync`);
      const freshTimeline = fresh.body.rooms.join[roomId]!.timeline.events;
      assert.equal(freshTimeline.some((e) => e.type === "m.room.message" && e.sender === "@carol:localhost"), false, "a fresh sync leaves carol's messages out too");
      assert.ok(freshTimeline.some((e) => e.event_id === before.body.event_id));

      const messages = await bob.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${room}/messages?dir=b&limit=50`);
      assert.equal(messages.body.chunk.some((e) => e.event_id === hidden.body.event_id), false, "/messages leaves carol's message out");
      assert.ok(messages.body.chunk.some((e) => e.type === "m.room.create" && e.sender === "@carol:localhost"), "/messages keeps carol's state events");
      const single = await bob.get(`${V3}/rooms/${room}/event/${enc(hidden.body.event_id)}`);
      assert.equal(single.status, 404, "the ignored user's event is not served on its own either (as Synapse)");
      const context = await bob.get<{ events_before: TimelineEvent[] }>(`${V3}/rooms/${room}/context/${enc(speaks.body.event_id)}?limit=20`);
      assert.equal(context.status, 200);
      assert.ok(context.body.events_before.some((e) => e.event_id === before.body.event_id));
      assert.equal(context.body.events_before.some((e) => e.event_id === hidden.body.event_id), false, "/context leaves carol's message out");
      // alice and others still see carol.
      const carolView = await carol.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${room}/messages?dir=b&limit=50`);
      assert.ok(carolView.body.chunk.some((e) => e.event_id === hidden.body.event_id));

      // Invites from an ignored user are not sent; others' are.
      const beforeInvites = await bob.get<Sync>(`${V3}/sync`);
      const fromCarol = await carol.post<{ room_id: string }>(`${V3}/createRoom`, { invite: ["@bob:localhost"] });
      const fromAlice = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { invite: ["@bob:localhost"] });
      const invites = await bob.get<Sync>(`${V3}/sync?since=${beforeInvites.body.next_batch}&timeout=0`);
      assert.equal(invites.body.rooms.invite[fromCarol.body.room_id], undefined, "carol's invite is left out");
      assert.ok(invites.body.rooms.invite[fromAlice.body.room_id], "alice's invite arrives");
      assert.equal((await bob.get<Sync>(`${V3}/sync`)).body.rooms.invite[fromCarol.body.room_id], undefined, "also on an initial sync");

      // Un-ignoring: new messages arrive again; the missed one is not re-sent incrementally.
      const beforeUnignore = await bob.get<Sync>(`${V3}/sync`);
      assert.equal((await bob.put(`${V3}/user/${enc("@bob:localhost")}/account_data/m.ignored_user_list`, { ignored_users: {} })).status, 200);
      const back = await carol.put<{ event_id: string }>(`${V3}/rooms/${room}/send/m.room.message/i3`, { msgtype: "m.text", body: "visible again" });
      const resumed = await bob.get<Sync>(`${V3}/sync?since=${beforeUnignore.body.next_batch}&timeout=0`);
      const resumedIds = resumed.body.rooms.join[roomId]!.timeline.events.map((e) => e.event_id);
      assert.ok(resumedIds.includes(back.body.event_id));
      assert.equal(resumedIds.includes(hidden.body.event_id), false);
      const history = await bob.get<{ chunk: TimelineEvent[] }>(`${V3}/rooms/${room}/messages?dir=b&limit=50`);
      assert.ok(history.body.chunk.some((e) => e.event_id === hidden.body.event_id), "history shows the once-ignored message again");
    });
  });
}
