/** The deprecated endpoints: GET /events (and peeking with room_id), GET /events/{eventId}, initial syncs. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient } from "../harness/client.js";
import { startTestServer, type TestServer } from "../harness/server.js";
import { DATABASE_KINDS, isPostgresAvailable, POSTGRES_SKIP_MESSAGE } from "../harness/databases.js";

const V3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
type Event = { type: string; event_id: string; room_id: string; sender: string; state_key?: string; content: Record<string, unknown> };
type Page = { start: string; end: string; chunk: Event[] };
type RoomInfo = { room_id: string; membership?: string; invite?: Event; messages?: { start?: string; end: string; chunk: Event[] }; state?: Event[]; visibility?: string; account_data?: unknown[] };
type InitialSync = { end: string; presence: unknown[]; account_data: unknown[]; rooms: RoomInfo[] };

for (const database of DATABASE_KINDS) {
describe(`deprecated sync endpoints on ${database}`, { skip: database === "postgres" && !(await isPostgresAvailable()) ? POSTGRES_SKIP_MESSAGE : false }, () => {
  let hs: TestServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let txn = 0;

  const send = async (client: ApiClient, roomId: string, body: string): Promise<string> => {
    const res = await client.put<{ event_id: string }>(`${V3}/rooms/${enc(roomId)}/send/m.room.message/l${++txn}`, { msgtype: "m.text", body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.event_id;
  };
  const createRoom = async (client: ApiClient, body: Record<string, unknown> = {}): Promise<string> => {
    const res = await client.post<{ room_id: string }>(`${V3}/createRoom`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.room_id;
  };
  const user = async (name: string): Promise<ApiClient> => {
    const client = new ApiClient(hs.url);
    await client.register(name);
    return client;
  };

  before(async () => {
    hs = await startTestServer({ database, config: { registration: { allow_guests: true } } });
    alice = await user("alice");
    bob = await user("bob");
  });
  after(async () => hs.destroy());

  it("GET /initialSync snapshots joined rooms, invites and (with archived) left rooms", async () => {
    const carol = await user("carol");
    const joined = await createRoom(carol, { name: "Joined room", preset: "public_chat" });
    const messages = [];
    for (let i = 0; i < 4; i++) messages.push(await send(carol, joined, `message ${i}`));
    const invitedTo = await createRoom(alice, { preset: "private_chat", invite: ["@carol:localhost"] });
    const leftRoom = await createRoom(alice, { preset: "public_chat" });
    assert.equal((await carol.post(`${V3}/join/${enc(leftRoom)}`, {})).status, 200);
    const beforeLeave = await send(alice, leftRoom, "before the leave");
    assert.equal((await carol.post(`${V3}/rooms/${enc(leftRoom)}/leave`, {})).status, 200);
    await send(alice, leftRoom, "after the leave");

    const res = await carol.get<InitialSync>(`${V3}/initialSync?limit=2`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.end, /^s/);
    assert.ok(Array.isArray(res.body.presence));
    const byId = new Map(res.body.rooms.map((r) => [r.room_id, r]));
    const room = byId.get(joined);
    assert.ok(room, "the joined room");
    assert.equal(room.membership, "join");
    assert.deepEqual(room.messages?.chunk.map((e) => e.event_id), [messages[2], messages[3]], "the latest `limit` messages, oldest first");
    assert.ok(room.messages?.start, "earlier events exist");
    assert.ok(room.state?.some((e) => e.type === "m.room.name" && e.content["name"] === "Joined room"));
    assert.ok(room.state?.some((e) => e.type === "m.room.create"));
    assert.equal(room.visibility, "private");
    // The start token pages back through /messages to the events before the chunk.
    const older = await carol.get<{ chunk: Event[] }>(`${V3}/rooms/${enc(joined)}/messages?dir=b&limit=1&from=${enc(room.messages!.start!)}`);
    assert.equal(older.status, 200, JSON.stringify(older.body));
    assert.deepEqual(older.body.chunk.map((e) => e.event_id), [messages[1]]);

    const invite = byId.get(invitedTo);
    assert.equal(invite?.membership, "invite");
    assert.equal(invite?.invite?.type, "m.room.member");
    assert.equal(invite?.invite?.content["membership"], "invite");
    assert.equal(byId.has(leftRoom), false, "left rooms only with archived=true");

    const archived = await carol.get<InitialSync>(`${V3}/initialSync?archived=true&limit=10`);
    const left = archived.body.rooms.find((r) => r.room_id === leftRoom);
    assert.ok(left, "the left room with archived=true");
    assert.equal(left.membership, "leave");
    const chunk = left.messages?.chunk ?? [];
    assert.ok(chunk.some((e) => e.event_id === beforeLeave));
    assert.ok(!chunk.some((e) => e.content["body"] === "after the leave"), "nothing after the leave");
    assert.ok(chunk.every((e) => e.type !== "m.room.message" || e.event_id === beforeLeave), JSON.stringify(chunk.map((e) => e.content)));

    assert.equal((await carol.get(`${V3}/initialSync?limit=many`)).status, 400);
    assert.equal((await carol.get(`${V3}/initialSync?archived=yes`)).status, 400);
  });

  it("GET /initialSync carries global and room account data, and presence", async () => {
    const erin = await user("erin");
    const roomId = await createRoom(erin);
    assert.equal((await erin.put(`${V3}/user/${enc("@erin:localhost")}/account_data/org.example.setting`, { colour: "green" })).status, 200);
    assert.equal((await erin.put(`${V3}/user/${enc("@erin:localhost")}/rooms/${enc(roomId)}/tags/u.work`, { order: 0.5 })).status, 200);
    assert.equal((await erin.put(`${V3}/presence/${enc("@erin:localhost")}/status`, { presence: "online", status_msg: "around" })).status, 200);
    const res = await erin.get<InitialSync>(`${V3}/initialSync`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.account_data.find((e) => (e as { type: string }).type === "org.example.setting"), { type: "org.example.setting", content: { colour: "green" } });
    const room = res.body.rooms.find((r) => r.room_id === roomId);
    assert.deepEqual(room?.account_data, [{ type: "m.tag", content: { tags: { "u.work": { order: 0.5 } } } }]);
    const mine = (res.body.presence as { type: string; sender: string; content: Record<string, unknown> }[]).find((e) => e.sender === "@erin:localhost");
    assert.equal(mine?.type, "m.presence");
    assert.equal(mine?.content["presence"], "online");
    assert.equal(mine?.content["status_msg"], "around");
    const one = await erin.get<RoomInfo>(`${V3}/rooms/${enc(roomId)}/initialSync`);
    assert.deepEqual(one.body.account_data, [{ type: "m.tag", content: { tags: { "u.work": { order: 0.5 } } } }]);
  });

  it("GET /events streams new events from an initialSync token and long-polls", async () => {
    const dave = await user("dave");
    const roomId = await createRoom(dave);
    const initial = await dave.get<InitialSync>(`${V3}/initialSync?limit=1`);
    const quiet = await dave.get<Page>(`${V3}/events?from=${initial.body.end}&timeout=0`);
    assert.equal(quiet.status, 200, JSON.stringify(quiet.body));
    assert.deepEqual(quiet.body.chunk, []);
    assert.equal(quiet.body.start, initial.body.end);

    const first = await send(dave, roomId, "one");
    const second = await send(dave, roomId, "two");
    const page = await dave.get<Page>(`${V3}/events?from=${quiet.body.end}&timeout=0`);
    assert.deepEqual(page.body.chunk.map((e) => e.event_id), [first, second], "oldest first");
    assert.equal(page.body.chunk[0]?.room_id, roomId);
    assert.equal(page.body.start, quiet.body.end);
    assert.notEqual(page.body.end, page.body.start);

    const poll = dave.get<Page>(`${V3}/events?from=${page.body.end}&timeout=10000`);
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    const third = await send(dave, roomId, "three");
    const woken = await poll;
    assert.ok(Date.now() - started < 5000, "the long-poll returns when an event arrives");
    assert.deepEqual(woken.body.chunk.map((e) => e.event_id), [third]);

    const invited = await createRoom(bob, { invite: ["@dave:localhost"] });
    const invitePage = await dave.get<Page>(`${V3}/events?from=${woken.body.end}&timeout=0`);
    assert.ok(
      invitePage.body.chunk.some((e) => e.room_id === invited && e.type === "m.room.member" && e.state_key === "@dave:localhost"),
      "the user's own invite arrives",
    );
    assert.ok(!invitePage.body.chunk.some((e) => e.room_id === invited && e.type === "m.room.create"), "but not the room's events");

    assert.equal((await dave.get(`${V3}/events?from=garbage&timeout=0`)).status, 400);
    assert.equal((await dave.get(`${V3}/events?timeout=soon`)).status, 400);
    assert.equal((await dave.get(`${V3}/events?timeout=0`, { token: null })).status, 401);
  });

  it("GET /events with room_id peeks into world_readable rooms only", async () => {
    const readable = await createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } }] });
    const shared = await createRoom(alice, { preset: "public_chat" });
    const watcher = await user("watcher");
    const start = (await watcher.get<Page>(`${V3}/events?room_id=${enc(readable)}&timeout=0`)).body;
    assert.deepEqual(start.chunk, []);
    const peek = watcher.get<Page>(`${V3}/events?room_id=${enc(readable)}&from=${start.end}&timeout=10000`);
    await new Promise((r) => setTimeout(r, 150));
    const sent = await send(alice, readable, "for everyone");
    await send(alice, shared, "not for the watcher");
    const got = await peek;
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body.chunk.map((e) => e.event_id), [sent]);

    const refused = await watcher.get(`${V3}/events?room_id=${enc(shared)}&timeout=0`);
    assert.equal(refused.status, 403);
    const unknown = await watcher.get(`${V3}/events?room_id=${enc("!nowhere:localhost")}&timeout=0`);
    assert.equal(unknown.status, 404);

    const guestRes = await watcher.post<{ access_token: string }>(`${V3}/register?kind=guest`, {}, { token: null });
    const guest = new ApiClient(hs.url, guestRes.body.access_token);
    assert.equal((await guest.get(`${V3}/events?timeout=0`)).status, 400, "guests must name a room");
    assert.equal((await guest.get(`${V3}/events?room_id=${enc(readable)}&timeout=0`)).status, 200);
  });

  it("GET /events/{eventId} returns events the user may see, 404 otherwise", async () => {
    const roomId = await createRoom(alice, { preset: "private_chat" });
    const eventId = await send(alice, roomId, "private words");
    const res = await alice.get<Event>(`${V3}/events/${enc(eventId)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.event_id, eventId);
    assert.equal(res.body.content["body"], "private words");
    assert.equal(res.body.room_id, roomId);
    const hidden = await bob.get(`${V3}/events/${enc(eventId)}`);
    assert.equal(hidden.status, 404, "an event the user may not see is reported as not found");
    const missing = await alice.get(`${V3}/events/${enc("$doesnotexist")}`);
    assert.equal(missing.status, 404);
    const notAnId = await alice.get(`${V3}/events/whatever`);
    assert.equal(notAnId.status, 404);
  });

  it("GET /rooms/{roomId}/initialSync: members, former members, world_readable previews; 403 otherwise", async () => {
    const readable = await createRoom(alice, { preset: "public_chat", name: "Preview me", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } }] });
    const sent = await send(alice, readable, "visible to all");
    const outsider = await user("outsider");
    const preview = await outsider.get<RoomInfo>(`${V3}/rooms/${enc(readable)}/initialSync`);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.room_id, readable);
    assert.equal(preview.body.messages?.chunk[preview.body.messages.chunk.length - 1]?.event_id, sent);
    assert.ok(preview.body.state?.some((e) => e.type === "m.room.name" && e.content["name"] === "Preview me"));
    assert.notEqual(preview.body.membership, "join", "a peeking user is not joined");

    const mine = await alice.get<RoomInfo>(`${V3}/rooms/${enc(readable)}/initialSync?limit=1`);
    assert.equal(mine.body.membership, "join");
    assert.deepEqual(mine.body.messages?.chunk.map((e) => e.event_id), [sent]);

    const closed = await createRoom(alice, { preset: "private_chat" });
    const refused = await outsider.get(`${V3}/rooms/${enc(closed)}/initialSync`);
    assert.equal(refused.status, 403);

    const open = await createRoom(alice, { preset: "public_chat" });
    assert.equal((await bob.post(`${V3}/join/${enc(open)}`, {})).status, 200);
    const seen = await send(alice, open, "bob saw this");
    assert.equal((await bob.post(`${V3}/rooms/${enc(open)}/leave`, {})).status, 200);
    const unseen = await send(alice, open, "bob did not see this");
    const former = await bob.get<RoomInfo>(`${V3}/rooms/${enc(open)}/initialSync?limit=10`);
    assert.equal(former.status, 200, JSON.stringify(former.body));
    assert.equal(former.body.membership, "leave");
    const ids = former.body.messages?.chunk.map((e) => e.event_id) ?? [];
    assert.ok(ids.includes(seen));
    assert.ok(!ids.includes(unseen), "the room as it was when they left");
  });
});
}
