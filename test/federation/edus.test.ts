/**
 * Read receipts (m.receipt) and presence (m.presence) between two servers over real federation: sent
 * both ways, private receipts kept home, and EDUs about users of another server than the sender ignored.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { signedRequest, syncPosition, syncUntil } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const q = encodeURIComponent;

type Receipts = Record<string, Record<string, Record<string, { ts: number; thread_id?: string }>>>;
type PresenceEvent = { type: string; sender: string; content: { presence: string; status_msg?: string; currently_active?: boolean; last_active_ago?: number } };
type Sync = {
  next_batch: string;
  presence?: { events: PresenceEvent[] };
  rooms?: { join?: Record<string, { ephemeral: { events: { type: string; content: Receipts }[] } }> };
};

/** Everything /sync shows from `since` until `done` holds (or fails after the timeout). */
async function syncFor(client: ApiClient, since: string, done: (seen: Sync[]) => boolean, timeoutMs = 15_000): Promise<{ seen: Sync[]; since: string }> {
  const deadline = Date.now() + timeoutMs;
  const seen: Sync[] = [];
  let token = since;
  for (;;) {
    const response = await client.get<Sync>(`${V3}/sync?timeout=1000&since=${token}`);
    assert.equal(response.status, 200);
    seen.push(response.body);
    token = response.body.next_batch;
    if (done(seen)) return { seen, since: token };
    if (Date.now() > deadline) assert.fail(`timed out; saw ${JSON.stringify(seen.map((s) => [s.rooms?.join, s.presence]))}`);
  }
}

/** The receipts of a room in what /sync showed, as [eventId, receiptType, userId, data]. */
function receiptsIn(seen: Sync[], roomId: string): [string, string, string, { ts: number; thread_id?: string }][] {
  const out: [string, string, string, { ts: number; thread_id?: string }][] = [];
  for (const sync of seen) {
    for (const event of sync.rooms?.join?.[roomId]?.ephemeral.events ?? []) {
      if (event.type !== "m.receipt") continue;
      for (const [eventId, byType] of Object.entries(event.content)) {
        for (const [type, byUser] of Object.entries(byType)) for (const [userId, data] of Object.entries(byUser)) out.push([eventId, type, userId, data]);
      }
    }
  }
  return out;
}

const presenceIn = (seen: Sync[], userId: string): PresenceEvent[] => seen.flatMap((s) => s.presence?.events ?? []).filter((e) => e.sender === userId);

describe("federation: receipts and presence between servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let aliceId: string;
  let bobId: string;
  let roomId: string;

  async function send(client: ApiClient, body: string): Promise<string> {
    const response = await client.put<{ event_id: string }>(`${V3}/rooms/${q(roomId)}/send/m.room.message/${q(body)}-${Date.now()}`, { msgtype: "m.text", body });
    assert.equal(response.status, 200);
    return response.body.event_id;
  }

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES })]);
    [alice, carol] = await registeredClients(one.url, "alice", "carol");
    [bob] = await registeredClients(two.url, "bob");
    aliceId = `@alice:${one.serverName}`;
    bobId = `@bob:${two.serverName}`;
    roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    assert.equal((await bob.post(`${V3}/join/${q(roomId)}?server_name=${q(one.serverName)}`, {})).status, 200);
    // Carol (of one) is in the room but never syncs: nothing of ours would hide a spoofed presence of hers.
    assert.equal((await carol.post(`${V3}/join/${q(roomId)}`, {})).status, 200);
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("sends public read receipts both ways (threaded ones with their thread) and keeps private ones home", async () => {
    const first = await send(alice, "first");
    const second = await send(alice, "second");
    const third = await send(alice, "third");
    await syncUntil(bob, roomId, (view) => view.timeline.some((e) => e.event_id === third));

    const bobSince = await syncPosition(bob);
    assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/receipt/m.read.private/${q(third)}`, {})).status, 200);
    assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(first)}`, { thread_id: "main" })).status, 200);
    assert.equal((await alice.post(`${V3}/rooms/${q(roomId)}/read_markers`, { "m.fully_read": second, "m.read": second })).status, 200);
    const { seen } = await syncFor(bob, bobSince, (s) => receiptsIn(s, roomId).some(([id, , user]) => id === second && user === aliceId));
    const fromAlice = receiptsIn(seen, roomId).filter(([, , user]) => user === aliceId);
    assert.ok(fromAlice.some(([id, type, , data]) => id === first && type === "m.read" && data.thread_id === "main"), JSON.stringify(fromAlice));
    assert.ok(fromAlice.some(([id, type, , data]) => id === second && type === "m.read" && data.thread_id === undefined && data.ts > 0));
    // The private receipt was made before both public ones; had it been sent, it would have arrived first.
    assert.ok(!fromAlice.some(([id]) => id === third), "a private receipt left its server");

    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.post(`${V3}/rooms/${q(roomId)}/receipt/m.read/${q(third)}`, {})).status, 200);
    const back = await syncFor(alice, aliceSince, (s) => receiptsIn(s, roomId).some(([id, type, user]) => id === third && type === "m.read" && user === bobId));
    assert.ok(receiptsIn(back.seen, roomId).length > 0);
  });

  it("ignores receipts for users of another server than the sender and for users not in the room", async () => {
    const target = await send(alice, "read me");
    await syncUntil(bob, roomId, (view) => view.timeline.some((e) => e.event_id === target));
    const aliceSince = await syncPosition(alice);
    const receipt = { event_ids: [target], data: { ts: 1 } };
    const edus = [
      // A user of the receiving server and one of a third server: two may speak only for its own users.
      { edu_type: "m.receipt", content: { [roomId]: { "m.read": { [aliceId]: receipt, "@mallory:elsewhere.example": receipt } } } },
      // One of two's users, but not in the room.
      { edu_type: "m.receipt", content: { [roomId]: { "m.read": { [`@stranger:${two.serverName}`]: receipt } } } },
      // Last, a valid one to know when the transaction has been handled.
      { edu_type: "m.receipt", content: { [roomId]: { "m.read": { [bobId]: { event_ids: [target], data: { ts: 2 } } } } } },
    ];
    const answer = await signedRequest(two, one, "PUT", "/_matrix/federation/v1/send/receipts-bad", { origin: two.serverName, origin_server_ts: Date.now(), pdus: [], edus });
    assert.equal(answer.status, 200);
    const { seen } = await syncFor(alice, aliceSince, (s) => receiptsIn(s, roomId).some(([id, , user]) => id === target && user === bobId));
    const users = receiptsIn(seen, roomId).map(([, , user]) => user);
    assert.deepEqual(users.filter((u) => u !== bobId), [], `receipts of ${JSON.stringify(users)}`);
  });

  it("sends presence both ways: seen in /sync presence and at GET /presence/{userId}/status", async () => {
    const bobSince = await syncPosition(bob);
    assert.equal((await alice.put(`${V3}/presence/${q(aliceId)}/status`, { presence: "online", status_msg: "making cupcakes" })).status, 200);
    const { seen } = await syncFor(bob, bobSince, (s) => presenceIn(s, aliceId).some((e) => e.content.status_msg === "making cupcakes"));
    const shown = presenceIn(seen, aliceId).at(-1);
    assert.equal(shown?.content.presence, "online");
    assert.equal(typeof shown?.content.last_active_ago, "number");
    const status = await bob.get<{ presence: string; status_msg?: string; currently_active?: boolean }>(`${V3}/presence/${q(aliceId)}/status`);
    assert.equal(status.status, 200);
    assert.equal(status.body.presence, "online");
    assert.equal(status.body.status_msg, "making cupcakes");
    assert.equal(status.body.currently_active, true);

    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.put(`${V3}/presence/${q(bobId)}/status`, { presence: "unavailable", status_msg: "away" })).status, 200);
    await syncFor(alice, aliceSince, (s) => presenceIn(s, bobId).some((e) => e.content.presence === "unavailable" && e.content.status_msg === "away"));
    const bobStatus = await alice.get<{ presence: string; status_msg?: string }>(`${V3}/presence/${q(bobId)}/status`);
    assert.deepEqual([bobStatus.body.presence, bobStatus.body.status_msg], ["unavailable", "away"]);
  });

  it("ignores presence for users of another server than the sender", async () => {
    const carolId = `@carol:${one.serverName}`;
    const aliceSince = await syncPosition(alice);
    const push = [
      { user_id: aliceId, presence: "offline", status_msg: "spoofed", last_active_ago: 0 },
      { user_id: carolId, presence: "online", status_msg: "spoofed", last_active_ago: 0 },
      { user_id: "@mallory:elsewhere.example", presence: "online", status_msg: "spoofed", last_active_ago: 0 },
      // Last, a valid one to know when the transaction has been handled.
      { user_id: bobId, presence: "online", status_msg: "genuine", last_active_ago: 5_000, currently_active: false },
    ];
    const edus = [{ edu_type: "m.presence", content: { push } }];
    const answer = await signedRequest(two, one, "PUT", "/_matrix/federation/v1/send/presence-bad", { origin: two.serverName, origin_server_ts: Date.now(), pdus: [], edus });
    assert.equal(answer.status, 200);
    const { seen } = await syncFor(alice, aliceSince, (s) => presenceIn(s, bobId).some((e) => e.content.status_msg === "genuine"));
    const genuine = presenceIn(seen, bobId).at(-1);
    assert.equal(genuine?.content.currently_active, false);
    assert.ok((genuine?.content.last_active_ago ?? 0) >= 5_000, "last_active_ago counts from the remote value");
    assert.deepEqual(presenceIn(seen, "@mallory:elsewhere.example"), []);
    assert.ok(!presenceIn(seen, aliceId).some((e) => e.content.status_msg === "spoofed"));
    assert.deepEqual(presenceIn(seen, carolId), []);
    const carolStatus = await alice.get<{ presence: string; status_msg?: string }>(`${V3}/presence/${q(carolId)}/status`);
    assert.deepEqual([carolStatus.body.presence, carolStatus.body.status_msg], ["offline", undefined]);
    const own = await alice.get<{ presence: string; status_msg?: string }>(`${V3}/presence/${q(aliceId)}/status`);
    assert.notEqual(own.body.status_msg, "spoofed");
    const mallory = await alice.get(`${V3}/presence/${q("@mallory:elsewhere.example")}/status`);
    assert.equal(mallory.status, 403);
  });
});
