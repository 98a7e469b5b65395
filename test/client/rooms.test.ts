import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
type Sync = {
  next_batch: string;
  rooms: {
    join: Record<string, { timeline: { events: { type: string; event_id: string; content: Record<string, unknown>; unsigned?: Record<string, unknown> }[]; limited: boolean; prev_batch: string }; state: { events: { type: string }[] } }>;
    invite: Record<string, { invite_state: { events: { type: string }[] } }>;
    leave: Record<string, unknown>;
  };
};

for (const database of DATABASE_KINDS) {
describe(`rooms over HTTP on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;

  before(async () => {
    hs = await startTestServer({ database });
    [alice, bob] = await registeredClients(hs.url, "alice", "bob");
  });
  after(async () => hs.destroy());

  for (const version of ["1", "3", "6", "9", "10", "11", "12"]) {
    it(`creates a room of version ${version}, sends and reads back messages`, async () => {
      const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { room_version: version, name: `v${version}`, topic: "hello" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const roomId = created.body.room_id;
      assert.match(roomId, version === "12" ? /^![A-Za-z0-9_-]{43}$/ : /^!.+:localhost$/);
      const sent = await alice.put<{ event_id: string }>(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, { msgtype: "m.text", body: "hi" });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const again = await alice.put<{ event_id: string }>(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`, { msgtype: "m.text", body: "hi" });
      assert.equal(again.body.event_id, sent.body.event_id, "a retried transaction returns the first event");
      const event = await alice.get(`${V3}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.body.event_id)}`);
      assert.equal((event.body["content"] as { body: string }).body, "hi");
      assert.equal((event.body["unsigned"] as { transaction_id?: string }).transaction_id, "t1");
      const name = await alice.get(`${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.name`);
      assert.deepEqual(name.body, { name: `v${version}` });
      // The retry stored nothing: the room goes on from the first event, with one message per transaction.
      const next = await alice.put<{ event_id: string }>(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t2`, { msgtype: "m.text", body: "next" });
      assert.equal(next.status, 200, JSON.stringify(next.body));
      const messages = await alice.get<{ chunk: { type: string; event_id: string; prev_events?: string[] }[] }>(`${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`);
      assert.deepEqual(
        messages.body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.event_id),
        [next.body.event_id, sent.body.event_id],
      );
      assert.equal(messages.body.chunk[messages.body.chunk.length - 1]?.type, "m.room.create");
    });
  }

  it("syncs a conversation between two users, incrementally and by long-poll", async () => {
    const initial = await bob.get<Sync>(`${V3}/sync`);
    assert.equal(initial.status, 200);
    const created = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { invite: ["@bob:localhost"], preset: "private_chat" });
    const roomId = created.body.room_id;
    const invited = await bob.get<Sync>(`${V3}/sync?since=${initial.body.next_batch}`);
    assert.ok(invited.body.rooms.invite[roomId], "bob sees the invite");
    assert.ok(invited.body.rooms.invite[roomId]!.invite_state.events.some((e) => e.type === "m.room.create"));
    const joined = await bob.post(`${V3}/join/${encodeURIComponent(roomId)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const afterJoin = await bob.get<Sync>(`${V3}/sync?since=${invited.body.next_batch}`);
    const room = afterJoin.body.rooms.join[roomId]!;
    assert.ok(room, "bob's sync has the joined room");
    assert.ok(room.state.events.some((e) => e.type === "m.room.create") || room.timeline.events.some((e) => e.type === "m.room.create"));

    const poll = bob.get<Sync>(`${V3}/sync?since=${afterJoin.body.next_batch}&timeout=10000`);
    await new Promise((r) => setTimeout(r, 100));
    const start = Date.now();
    await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/m1`, { msgtype: "m.text", body: "wake up" });
    const woken = await poll;
    assert.ok(Date.now() - start < 5000, "the long-poll returns when the message arrives");
    const events = woken.body.rooms.join[roomId]!.timeline.events;
    assert.deepEqual(events.map((e) => e.content["body"]), ["wake up"]);
    const quiet = await bob.get<Sync>(`${V3}/sync?since=${woken.body.next_batch}&timeout=200`);
    assert.deepEqual(quiet.body.rooms.join, {}, "nothing new: an empty response after the timeout");
  });

  it("paginates back through history and marks limited timelines", async () => {
    const { body } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
    const roomId = encodeURIComponent(body.room_id);
    for (let i = 0; i < 30; i++) await alice.put(`${V3}/rooms/${roomId}/send/m.room.message/p${i}`, { msgtype: "m.text", body: `m${i}` });
    const sync = await alice.get<Sync>(`${V3}/sync?filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 5 } } }))}`);
    const timeline = sync.body.rooms.join[body.room_id]!.timeline;
    assert.equal(timeline.limited, true);
    assert.deepEqual(timeline.events.map((e) => e.content["body"]), ["m25", "m26", "m27", "m28", "m29"]);
    const seen: string[] = [];
    let from = timeline.prev_batch;
    for (;;) {
      const page = await alice.get<{ chunk: { content: { body?: string } }[]; end?: string }>(`${V3}/rooms/${roomId}/messages?dir=b&limit=7&from=${encodeURIComponent(from)}`);
      for (const e of page.body.chunk) if (e.content.body) seen.push(e.content.body);
      if (!page.body.end) break;
      from = page.body.end;
    }
    assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `m${24 - i}`));
  });

  it("enforces membership and power levels with M_FORBIDDEN", async () => {
    const { body } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, { preset: "public_chat" });
    const roomId = encodeURIComponent(body.room_id);
    const outsider = await bob.put(`${V3}/rooms/${roomId}/send/m.room.message/x1`, { msgtype: "m.text", body: "nope" });
    assert.equal(outsider.status, 403);
    assert.equal(outsider.body["errcode"], "M_FORBIDDEN");
    assert.equal((await bob.post(`${V3}/rooms/${roomId}/join`, {})).status, 200);
    const topic = await bob.put(`${V3}/rooms/${roomId}/state/m.room.power_levels`, { users: { "@bob:localhost": 100 } });
    assert.equal(topic.status, 403);
    const kicked = await alice.post(`${V3}/rooms/${roomId}/kick`, { user_id: "@bob:localhost", reason: "bye" });
    assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
    assert.equal((await bob.put(`${V3}/rooms/${roomId}/send/m.room.message/x2`, { msgtype: "m.text", body: "still?" })).status, 403);
    const banned = await alice.post(`${V3}/rooms/${roomId}/ban`, { user_id: "@bob:localhost" });
    assert.equal(banned.status, 200);
    const rejoin = await bob.post(`${V3}/rooms/${roomId}/join`, {});
    assert.equal(rejoin.status, 403);
    assert.equal((await alice.post(`${V3}/rooms/${roomId}/unban`, { user_id: "@bob:localhost" })).status, 200);
    assert.equal((await bob.post(`${V3}/rooms/${roomId}/join`, {})).status, 200);
    const members = await alice.get<{ joined: Record<string, unknown> }>(`${V3}/rooms/${roomId}/joined_members`);
    assert.deepEqual(Object.keys(members.body.joined).sort(), ["@alice:localhost", "@bob:localhost"]);
    assert.equal((await new ApiClient(hs.url).get(`${V3}/rooms/${encodeURIComponent("!nope:localhost")}/state`, { token: alice.accessToken })).status, 404);
  });

  it("redacts events, serving the redacted form", async () => {
    const { body } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
    const roomId = encodeURIComponent(body.room_id);
    const sent = await alice.put<{ event_id: string }>(`${V3}/rooms/${roomId}/send/m.room.message/r1`, { msgtype: "m.text", body: "secret" });
    const redaction = await alice.put(`${V3}/rooms/${roomId}/redact/${encodeURIComponent(sent.body.event_id)}/r2`, { reason: "oops" });
    assert.equal(redaction.status, 200, JSON.stringify(redaction.body));
    const event = await alice.get(`${V3}/rooms/${roomId}/event/${encodeURIComponent(sent.body.event_id)}`);
    assert.deepEqual(event.body["content"], {});
    assert.equal(((event.body["unsigned"] as Record<string, { event_id?: string }>)["redacted_because"])?.event_id, redaction.body["event_id"]);
  });

  it("shows a user their own leave and the rejection of their invite, but not what followed", async () => {
    for (const visibility of ["joined", "shared"]) {
      const { body: room } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {
        invite: ["@bob:localhost"],
        initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: visibility } }],
      });
      const path = `${V3}/rooms/${encodeURIComponent(room.room_id)}`;
      const rejected = await bob.post<{ event_id?: string }>(`${path}/leave`, {});
      assert.equal(rejected.status, 200);
      await alice.post(`${path}/invite`, { user_id: "@bob:localhost" });
      await bob.post(`/_matrix/client/v3/join/${encodeURIComponent(room.room_id)}`, {});
      await alice.put(`${path}/send/m.room.message/while-joined-${visibility}`, { msgtype: "m.text", body: "while bob was there" });
      await bob.post(`${path}/leave`, {});
      await alice.put(`${path}/send/m.room.message/after-${visibility}`, { msgtype: "m.text", body: "after bob left" });
      const history = await bob.get<{ chunk: { type: string; state_key?: string; content: Record<string, unknown> }[] }>(`${path}/messages?dir=b&limit=50`);
      assert.equal(history.status, 200, JSON.stringify(history.body));
      const own = history.body.chunk.filter((e) => e.type === "m.room.member" && e.state_key === "@bob:localhost").map((e) => e.content["membership"]);
      // His invites are not his to see under these visibilities (as Synapse); his leaves always are.
      assert.deepEqual(own, ["leave", "join", "leave"], `${visibility}: bob sees his join and both leaves`);
      const bodies = history.body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content["body"]);
      assert.deepEqual(bodies, ["while bob was there"], `${visibility}: nothing after the leave`);
    }
  });

  it("answers bad room requests with spec errors", async () => {
    const badVersion = await alice.post(`${V3}/createRoom`, { room_version: "999" });
    assert.equal(badVersion.status, 400);
    assert.equal(badVersion.body["errcode"], "M_UNSUPPORTED_ROOM_VERSION");
    const { body } = await alice.post<{ room_id: string }>(`${V3}/createRoom`, {});
    const roomId = encodeURIComponent(body.room_id);
    const huge = await alice.put(`${V3}/rooms/${roomId}/send/m.room.message/big`, { msgtype: "m.text", body: "x".repeat(70_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body["errcode"], "M_TOO_LARGE");
    const badToken = await alice.get(`${V3}/sync?since=garbage`);
    assert.equal(badToken.status, 400);
    const badJson = await alice.request("PUT", `${V3}/rooms/${roomId}/send/m.room.message/bj`, undefined, { rawBody: '{"body": 1.5}', headers: { "content-type": "application/json" } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body["errcode"], "M_BAD_JSON");
  });
});
}
