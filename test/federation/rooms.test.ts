import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, signedRequest, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";
import { computeEventId } from "../../src/protocol/event-id.js";
import { hashAndSignEvent } from "../../src/protocol/event-signing.js";
import { getRoomVersion } from "../../src/protocol/room-versions.js";
import { generateSigningKey } from "../../src/protocol/signing-key.js";

const V3 = "/_matrix/client/v3";

const joinedBy = (userId: string) => (e: SyncEvent) => e.type === "m.room.member" && e.state_key === userId && e.content["membership"] === "join";

describe("federation: rooms shared between Tessera servers", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let three: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let aliceId: string;
  let bobId: string;
  let carolId: string;
  let roomId: string;

  before(async () => {
    [one, two, three] = await Promise.all([startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES })]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    [carol] = await registeredClients(three.url, "carol");
    aliceId = `@alice:${one.serverName}`;
    bobId = `@bob:${two.serverName}`;
    carolId = `@carol:${three.serverName}`;
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy(), three?.destroy()]);
  });

  it("bob@two joins alice@one's public room by room ID with server_name; both see each other's membership", async () => {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "Federated", topic: "across servers" });
    assert.equal(created.status, 200);
    roomId = created.body["room_id"] as string;
    const aliceSince = await syncPosition(alice);

    const joined = await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    assert.equal(joined.body["room_id"], roomId);

    // The join has partial state (members omitted): alice's membership arrives once the state is complete.
    const bobView = await syncUntil(bob, roomId, (v) => v.timeline.some(joinedBy(bobId)) && [...v.state, ...v.timeline].some(joinedBy(aliceId)));
    const bobState = [...bobView.state, ...bobView.timeline];
    assert.ok(bobState.some(joinedBy(aliceId)), "bob sees alice's membership");
    assert.ok(bobState.some((e) => e.type === "m.room.name" && e.content["name"] === "Federated"), "bob sees the room's state");
    assert.ok(bobState.some((e) => e.type === "m.room.create"));

    const aliceView = await syncUntil(alice, roomId, (v) => v.timeline.some(joinedBy(bobId)), aliceSince);
    assert.ok(aliceView.timeline.some(joinedBy(bobId)), "alice sees bob's join");
    const members = await alice.get<{ joined: Record<string, unknown> }>(`${V3}/rooms/${encodeURIComponent(roomId)}/joined_members`);
    assert.deepEqual(Object.keys(members.body.joined).sort(), [aliceId, bobId].sort());
  });

  it("delivers messages sent on each server to the other", async () => {
    const [aliceSince, bobSince] = [await syncPosition(alice), await syncPosition(bob)];
    assert.equal((await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/a1`, { msgtype: "m.text", body: "hello from one" })).status, 200);
    const atBob = await syncUntil(bob, roomId, (v) => bodies(v).includes("hello from one"), bobSince);
    assert.equal(atBob.timeline.find((e) => e.content["body"] === "hello from one")?.sender, aliceId);

    assert.equal((await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b1`, { msgtype: "m.text", body: "hello from two" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("hello from two"), aliceSince);
    const bobMessages = await syncUntil(bob, roomId, (v) => bodies(v).includes("hello from two"), atBob.since);
    assert.ok(bobMessages.timeline.length > 0);
  });

  it("lets a third server join, see the room's state, and exchange messages with both others", async () => {
    const bobSince = await syncPosition(bob);
    const joined = await carol.post(`${V3}/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const carolView = await syncUntil(carol, roomId, (v) => [carolId, aliceId, bobId].every((id) => [...v.state, ...v.timeline].some(joinedBy(id))));
    const seen = [...carolView.state, ...carolView.timeline];
    for (const userId of [aliceId, bobId]) assert.ok(seen.some(joinedBy(userId)), `carol sees ${userId} joined`);
    assert.ok(seen.some((e) => e.type === "m.room.topic" && e.content["topic"] === "across servers"));

    // two learns of carol's join from one (the resident server announces it), so bob's messages reach three.
    await syncUntil(bob, roomId, (v) => v.timeline.some(joinedBy(carolId)), bobSince);
    const carolSince = carolView.since;
    assert.equal((await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b2`, { msgtype: "m.text", body: "bob to all" })).status, 200);
    await syncUntil(carol, roomId, (v) => bodies(v).includes("bob to all"), carolSince);
    const aliceSince = await syncPosition(alice);
    assert.equal((await carol.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/c1`, { msgtype: "m.text", body: "carol here" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("carol here"), aliceSince);
  });

  it("merges messages sent at the same time on both servers (a fork of the room's graph) and goes on from both ends", async () => {
    const [aliceSince, bobSince] = [await syncPosition(alice), await syncPosition(bob)];
    const send = (client: ApiClient, txn: string, body: string) => client.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`, { msgtype: "m.text", body });
    for (let i = 0; i < 3; i++) await Promise.all([send(alice, `fa${i}`, `fork a${i}`), send(bob, `fb${i}`, `fork b${i}`)]);
    await send(alice, "fa-end", "alice after fork");
    await send(bob, "fb-end", "bob after fork");
    const expected = ["fork a0", "fork a1", "fork a2", "fork b0", "fork b1", "fork b2", "alice after fork", "bob after fork"];
    const hasAll = (v: Parameters<typeof bodies>[0]) => expected.every((b) => bodies(v).includes(b));
    await syncUntil(alice, roomId, hasAll, aliceSince);
    await syncUntil(bob, roomId, hasAll, bobSince);
    const stateIds = async (client: ApiClient) => (await client.get<SyncEvent[]>(`${V3}/rooms/${encodeURIComponent(roomId)}/state`)).body.map((e) => e.event_id).sort();
    assert.deepEqual(await stateIds(bob), await stateIds(alice), "both servers hold the same current state");
  });

  for (const roomVersion of ["1", "10"]) {
    it(`joins a room of version ${roomVersion} through the server in its room ID, and exchanges messages`, async () => {
      const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", room_version: roomVersion });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const id = created.body["room_id"] as string;
      const aliceSince = await syncPosition(alice);
      const joined = await bob.post(`${V3}/join/${encodeURIComponent(id)}`, {});
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      await syncUntil(alice, id, (v) => v.timeline.some(joinedBy(bobId)), aliceSince);
      const bobSince = await syncPosition(bob);
      await alice.put(`${V3}/rooms/${encodeURIComponent(id)}/send/m.room.message/v${roomVersion}`, { msgtype: "m.text", body: `in v${roomVersion}` });
      await syncUntil(bob, id, (v) => bodies(v).includes(`in v${roomVersion}`), bobSince);
      await bob.put(`${V3}/rooms/${encodeURIComponent(id)}/send/m.room.message/r${roomVersion}`, { msgtype: "m.text", body: `reply v${roomVersion}` });
      await syncUntil(alice, id, (v) => bodies(v).includes(`reply v${roomVersion}`), aliceSince);
    });
  }

  it("answers a join of a room no server knows with 404 M_NOT_FOUND", async () => {
    const unknown = `!nosuchroom:${one.serverName}`;
    const answer = await bob.post(`${V3}/join/${encodeURIComponent(unknown)}?server_name=${encodeURIComponent(one.serverName)}`, {});
    assert.equal(answer.status, 404);
    assert.equal(answer.body["errcode"], "M_NOT_FOUND");
    const noServer = await bob.post(`${V3}/join/${encodeURIComponent("!opaque")}`, {});
    assert.equal(noServer.status, 404, "a v12 room ID names no server: without server_name there is nowhere to ask");
  });

  it("keeps the room working across a restart of two: the outbox catches up", async () => {
    const bobSince = await syncPosition(bob);
    await two.stop();
    for (let i = 0; i < 3; i++) {
      assert.equal((await alice.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/down${i}`, { msgtype: "m.text", body: `while down ${i}` })).status, 200);
    }
    await new Promise((r) => setTimeout(r, 500));
    const restarted = await two.restart();
    two = Object.assign(restarted, { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
    const view = await syncUntil(bob, roomId, (v) => bodies(v).includes("while down 2"), bobSince);
    assert.deepEqual(bodies(view).filter((b) => String(b).startsWith("while down")), ["while down 0", "while down 1", "while down 2"], "in order, none lost, none twice");
    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/after`, { msgtype: "m.text", body: "back again" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("back again"), aliceSince);
  });

  it("rejects a forged PDU in /send, keeps the valid one of the same transaction, and fills gaps with get_missing_events", async () => {
    const version = getRoomVersion("12");
    const state = (await bob.get<(SyncEvent & Json)[]>(`${V3}/rooms/${encodeURIComponent(roomId)}/state`)).body;
    const idOf = (type: string, key = "") => state.find((e) => e.type === type && e.state_key === key)?.event_id as string;
    const latest = (await bob.get<{ chunk: SyncEvent[] }>(`${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1`)).body.chunk[0]!.event_id;
    const draft = (body: string) => ({
      room_id: roomId,
      sender: aliceId,
      type: "m.room.message",
      content: { msgtype: "m.text", body },
      origin_server_ts: Date.now(),
      depth: 1000,
      prev_events: [latest],
      auth_events: [idOf("m.room.power_levels"), idOf("m.room.member", aliceId)],
    });
    const realKey = one.server.context.secrets.signingKey;
    // Same key ID as one's real key, other key material: the signature cannot verify.
    const forgedKey = generateSigningKey(realKey.version);
    const forged = hashAndSignEvent(draft("forged"), version, one.serverName, forgedKey);
    const valid = hashAndSignEvent(draft("genuine but unseen by one"), version, one.serverName, realKey);
    const forgedId = computeEventId(forged, version);
    const validId = computeEventId(valid, version);
    const bobSince = await syncPosition(bob);

    const answer = await signedRequest(one, two, "PUT", "/_matrix/federation/v1/send/forgery-1", { origin: one.serverName, origin_server_ts: Date.now(), pdus: [forged, valid] as never });
    assert.equal(answer.status, 200);
    const pdus = answer.body["pdus"] as Record<string, Json>;
    assert.match(String(pdus[forgedId]?.["error"]), /signature/);
    assert.deepEqual(pdus[validId], {});
    const view = await syncUntil(bob, roomId, (v) => bodies(v).includes("genuine but unseen by one"), bobSince);
    assert.ok(!bodies(view).includes("forged"));
    assert.equal((await bob.get(`${V3}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(forgedId)}`)).status, 404);

    // bob's next message cites the event one never saw: one fetches it from two before accepting.
    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.put(`${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/gap`, { msgtype: "m.text", body: "after the gap" })).status, 200);
    const atAlice = await syncUntil(alice, roomId, (v) => bodies(v).includes("after the gap"), aliceSince);
    assert.ok(bodies(atAlice).includes("genuine but unseen by one"), "the missing event was fetched and persisted");
  });
});
