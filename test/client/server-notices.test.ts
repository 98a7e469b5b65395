import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const NOTICE = "/_synapse/admin/v1/send_server_notice";
const enc = encodeURIComponent;
type Event = { type: string; event_id: string; sender: string; state_key?: string; content: Record<string, unknown> };
type Sync = {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline: { events: Event[] } }>; invite?: Record<string, { invite_state: { events: Event[] } }> };
};

async function registerAdmin(hs: TestServer, name: string): Promise<ApiClient> {
  const client = new ApiClient(hs.url);
  const { nonce } = (await client.get("/_synapse/admin/v1/register")).body as { nonce: string };
  const password = "admin password";
  const mac = createHmac("sha1", "test-shared-secret-0123456789").update(`${nonce}\x00${name}\x00${password}\x00admin`).digest("hex");
  const res = await client.post<{ access_token: string }>("/_synapse/admin/v1/register", { nonce, username: name, password, admin: true, mac }, { token: null });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  client.accessToken = res.body.access_token;
  return client;
}

const notice = (body: string): Record<string, unknown> => ({ msgtype: "m.server_notice", body, server_notice_type: "m.server_notice.usage_limit_reached", limit_type: "monthly_active_user" });

for (const database of DATABASE_KINDS) {
describe(`server notices on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let admin: ApiClient;
  let alice: ApiClient;

  before(async () => {
    hs = await startTestServer({ database, config: { server_notices: { localpart: "notices", display_name: "Server Notices", room_name: "Notices" } } });
    admin = await registerAdmin(hs, "root");
    alice = new ApiClient(hs.url);
    await alice.register("alice");
  });
  after(async () => hs.destroy());

  /** The room the next sync shows alice invited to. */
  const invitedRoom = async (since?: string): Promise<{ roomId: string; next: string }> => {
    const sync = await alice.get<Sync>(`${V3}/sync${since ? `?since=${since}` : ""}`);
    assert.equal(sync.status, 200);
    const invites = Object.keys(sync.body.rooms?.invite ?? {});
    assert.equal(invites.length, 1, JSON.stringify(sync.body.rooms));
    return { roomId: invites[0] as string, next: sync.body.next_batch };
  };

  it("invites the user to one tagged notices room, which they cannot reject", async () => {
    const sent = await admin.post<{ event_id: string }>(NOTICE, { user_id: "@alice:localhost", content: notice("You are over the limit") });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.match(sent.body.event_id, /^\$/);
    const { roomId, next } = await invitedRoom();
    const inviteState = (await alice.get<Sync>(`${V3}/sync`)).body.rooms?.invite?.[roomId]?.invite_state.events ?? [];
    assert.ok(inviteState.some((e) => e.type === "m.room.name" && e.content["name"] === "Notices"), JSON.stringify(inviteState));
    const tags = await alice.get<{ tags: Record<string, unknown> }>(`${V3}/user/${enc("@alice:localhost")}/rooms/${enc(roomId)}/tags`);
    assert.equal(tags.status, 200);
    assert.ok("m.server_notice" in tags.body.tags, JSON.stringify(tags.body));

    const reject = await alice.post(`${V3}/rooms/${enc(roomId)}/leave`, {});
    assert.equal(reject.status, 403);
    assert.equal(reject.body["errcode"], "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM");

    const joined = await alice.post(`${V3}/join/${enc(roomId)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const messages = await alice.get<{ chunk: Event[] }>(`${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
    const found = messages.body.chunk.find((e) => e.event_id === sent.body.event_id);
    assert.ok(found, "the notice is in the room");
    assert.equal(found.sender, "@notices:localhost");
    assert.equal(found.type, "m.room.message");
    assert.equal(found.content["msgtype"], "m.server_notice");
    const profile = await alice.get(`${V3}/profile/${enc("@notices:localhost")}/displayname`);
    assert.deepEqual(profile.body, { displayname: "Server Notices" });

    const reply = await alice.put(`${V3}/rooms/${enc(roomId)}/send/m.room.message/t1`, { msgtype: "m.text", body: "hi" });
    assert.equal(reply.status, 403, "users cannot talk in their notices room");

    // The next notice goes to the same room; the user may leave once joined, and is invited back.
    const second = await admin.post<{ event_id: string }>(NOTICE, { user_id: "@alice:localhost", content: notice("Second") });
    assert.equal(second.status, 200);
    const event = await alice.get(`${V3}/rooms/${enc(roomId)}/event/${enc(second.body.event_id)}`);
    assert.equal(event.status, 200, "same room");
    const { next_batch: beforeLeave } = (await alice.get<Sync>(`${V3}/sync`)).body;
    const left = await alice.post(`${V3}/rooms/${enc(roomId)}/leave`, {});
    assert.equal(left.status, 200, JSON.stringify(left.body));
    const third = await admin.post(NOTICE, { user_id: "@alice:localhost", content: notice("Third") });
    assert.equal(third.status, 200);
    const again = await invitedRoom(beforeLeave);
    assert.equal(again.roomId, roomId, "invited back into the same room");
    assert.ok(next);
  });

  it("sends a retried transaction once", async () => {
    const bob = new ApiClient(hs.url);
    await bob.register("bob");
    const first = await admin.put<{ event_id: string }>(`${NOTICE}/txn1`, { user_id: "@bob:localhost", content: notice("once") });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retry = await admin.put<{ event_id: string }>(`${NOTICE}/txn1`, { user_id: "@bob:localhost", content: notice("once") });
    assert.equal(retry.body.event_id, first.body.event_id);
    const other = await admin.put<{ event_id: string }>(`${NOTICE}/txn2`, { user_id: "@bob:localhost", content: notice("twice") });
    assert.notEqual(other.body.event_id, first.body.event_id);
  });

  it("delivers concurrent first notices to one room", async () => {
    const dan = new ApiClient(hs.url);
    await dan.register("dan");
    const sent = await Promise.all([1, 2, 3, 4].map((i) => admin.post<{ event_id: string }>(NOTICE, { user_id: "@dan:localhost", content: notice(`n${i}`) })));
    assert.deepEqual(sent.map((r) => r.status), [200, 200, 200, 200], JSON.stringify(sent.map((r) => r.body)));
    const sync = await dan.get<Sync>(`${V3}/sync`);
    assert.equal(Object.keys(sync.body.rooms?.invite ?? {}).length, 1, "one notices room");
  });

  it("is for server admins only, and for existing local users", async () => {
    const forbidden = await alice.post(NOTICE, { user_id: "@alice:localhost", content: notice("self") });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body["errcode"], "M_FORBIDDEN");
    assert.equal((await admin.post(NOTICE, { user_id: "@alice:localhost", content: notice("x") }, { token: null })).status, 401);
    const unknown = await admin.post(NOTICE, { user_id: "@nobody:localhost", content: notice("x") });
    assert.equal(unknown.status, 404);
    const remote = await admin.post(NOTICE, { user_id: "@someone:elsewhere.example", content: notice("x") });
    assert.equal(remote.status, 400);
    const invalid = await admin.post(NOTICE, { user_id: "alice", content: notice("x") });
    assert.equal(invalid.status, 400);
    const noContent = await admin.post(NOTICE, { user_id: "@alice:localhost" });
    assert.equal(noContent.status, 400);
    const toNotices = await admin.post(NOTICE, { user_id: "@notices:localhost", content: notice("x") });
    assert.equal(toNotices.status, 400);
  });

  it("is refused when notices are not configured", async () => {
    const plain = await startTestServer({ database });
    try {
      const root = await registerAdmin(plain, "root");
      const user = new ApiClient(plain.url);
      await user.register("carol");
      const res = await root.post(NOTICE, { user_id: "@carol:localhost", content: notice("x") });
      assert.equal(res.status, 400);
    } finally {
      await plain.destroy();
    }
  });
});
}
