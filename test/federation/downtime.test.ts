/**
 * A server that was down catches up: while two is stopped, alice@one and carol@three exchange 200
 * messages and change the topic; when two starts again its user sees every message once, each
 * sender's in order, the new topic, and a history without gaps.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const PER_SENDER = 100;

describe("federation: catching up after downtime", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let three: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;

  before(async () => {
    const fast = { federation: { retry_initial_ms: 100, retry_max_ms: 500 } };
    [one, two, three] = await Promise.all([startFederatedServer({ config: fast }), startFederatedServer({ config: fast }), startFederatedServer({ config: fast })]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
    [carol] = await registeredClients(three.url, "carol");
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy(), three?.destroy()]);
  });

  it("two, stopped while one and three exchange 200 messages and a topic change, gets all of them once and in order", { timeout: 120_000 }, async () => {
    const created = await alice.post(`${V3}/createRoom`, { preset: "public_chat", name: "downtime" });
    const roomId = created.body["room_id"] as string;
    const path = (rest: string) => `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;
    for (const client of [bob, carol]) assert.equal((await client.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const bobId = `@bob:${two.serverName}`;
    await syncUntil(carol, roomId, (v) => [...v.state, ...v.timeline].some((e) => e.type === "m.room.member" && e.state_key === bobId));
    const bobSince = await syncPosition(bob);

    await two.stop();
    const send = async (client: ApiClient, who: string) => {
      for (let i = 0; i < PER_SENDER; i++) {
        const sent = await client.put(path(`send/m.room.message/${who}${i}`), { msgtype: "m.text", body: `${who} ${i}` });
        assert.equal(sent.status, 200);
        if (who === "alice" && i === PER_SENDER / 2) assert.equal((await client.put(path("state/m.room.topic"), { topic: "changed while two was down" })).status, 200);
      }
    };
    await Promise.all([send(alice, "alice"), send(carol, "carol")]);

    two = Object.assign(await two.restart(), { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
    const expected = [...Array.from({ length: PER_SENDER }, (_, i) => `alice ${i}`), ...Array.from({ length: PER_SENDER }, (_, i) => `carol ${i}`)];
    // Two receives the 200 events in bursts: a sync between them may be limited (more than a timeline
    // holds), and bob reads what it left out with /messages, as a client does.
    const view = await syncUntil(bob, roomId, (v) => expected.every((b) => bodies(v).includes(b)), bobSince, 60_000, { fillGaps: true });
    const seen = bodies(view).map(String);
    assert.equal(seen.length, new Set(seen).size, "no message twice");
    for (const who of ["alice", "carol"]) {
      const order = seen.filter((b) => b.startsWith(`${who} `)).map((b) => Number(b.split(" ")[1]));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `${who}'s messages in the order sent`);
    }
    const topic = await bob.get<Json>(path("state/m.room.topic"));
    assert.equal(topic.body["topic"], "changed while two was down");

    // History without gaps: /messages backwards from now returns every message once.
    const paged: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 20; page++) {
      const answer = await bob.get<{ chunk: SyncEvent[]; end?: string }>(path(`messages?dir=b&limit=50${from ? `&from=${from}` : ""}`));
      assert.equal(answer.status, 200);
      paged.push(...answer.body.chunk.filter((e) => e.type === "m.room.message").map((e) => String(e.content["body"])));
      if (!answer.body.end) break;
      from = answer.body.end;
    }
    for (const body of expected) assert.equal(paged.filter((b) => b === body).length, 1, `${body} once in /messages`);
  });
});

describe("federation: catch-up of a server that missed many events", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;

  before(async () => {
    const config = { federation: { retry_initial_ms: 100, retry_max_ms: 500, catch_up_max_pdus: 20 } };
    [one, two] = await Promise.all([startFederatedServer({ config }), startFederatedServer({ config })]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("sends two only the room's newest event after 60 missed ones; two fetches the rest when its user pages back", { timeout: 120_000 }, async () => {
    const roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    const path = (rest: string) => `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const bobSince = await syncPosition(bob);
    await two.stop();
    for (let i = 0; i < 60; i++) assert.equal((await alice.put(path(`send/m.room.message/c${i}`), { msgtype: "m.text", body: `missed ${i}` })).status, 200);
    two = Object.assign(await two.restart(), { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);

    const view = await syncUntil(bob, roomId, (v) => bodies(v).includes("missed 59"), bobSince);
    assert.ok(bodies(view).length < 60, `two was sent the newest events, not all 60 (its sync showed ${bodies(view).length})`);
    const paged: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10; page++) {
      const answer = await bob.get<{ chunk: SyncEvent[]; end?: string }>(path(`messages?dir=b&limit=25${from ? `&from=${from}` : ""}`));
      assert.equal(answer.status, 200);
      paged.push(...answer.body.chunk.filter((e) => e.type === "m.room.message").map((e) => String(e.content["body"])));
      if (!answer.body.end) break;
      from = answer.body.end;
    }
    for (let i = 0; i < 60; i++) assert.equal(paged.filter((b) => b === `missed ${i}`).length, 1, `missed ${i} once in two's history`);
  });
});
