/**
 * A gap in the room's graph that /get_missing_events does not fill: while two is down, one sends 25
 * events and a state change and then loses what its outbox held for two (as a server does that sends
 * only its latest events after a long outage). Two receives the next event with prev events it does
 * not know, gets only the last ten by /get_missing_events, asks one for the state before the event
 * (/state_ids) and accepts it; the room goes on, and /messages fills the rest of the gap by backfill.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiClient, registeredClients } from "../harness/client.js";
import { FAST_RETRIES, startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const HIDDEN = 25;

describe("federation: gaps that /get_missing_events does not fill", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;

  before(async () => {
    [one, two] = await Promise.all([startFederatedServer({ config: FAST_RETRIES }), startFederatedServer({ config: FAST_RETRIES })]);
    [alice] = await registeredClients(one.url, "alice");
    [bob] = await registeredClients(two.url, "bob");
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("accepts an event after a long gap with the state its server gives, then backfills the gap", async () => {
    const roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    const path = (rest: string) => `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    await one.server.context.services.federationRooms.partialState.settled(roomId);
    await two.server.context.services.federationRooms.partialState.settled(roomId);
    const bobSince = await syncPosition(bob);

    await two.stop();
    assert.equal((await alice.put(path("state/m.room.topic"), { topic: "set during the gap" })).status, 200);
    for (let i = 0; i < HIDDEN; i++) assert.equal((await alice.put(path(`send/m.room.message/h${i}`), { msgtype: "m.text", body: `hidden ${i}` })).status, 200);
    await one.server.context.db.kysely.deleteFrom("federation_outbox").where("destination", "=", two.serverName).execute();
    two = Object.assign(await two.restart(), { federationPort: two.federationPort });
    bob = new ApiClient(two.url, bob.accessToken);
    const after = await alice.put(path("send/m.room.message/after"), { msgtype: "m.text", body: "after the gap" });
    assert.equal(after.status, 200);

    // Two accepts it though ten events back it still knows none of its ancestors, with the state one gives.
    await syncUntil(bob, roomId, (v) => bodies(v).includes("after the gap"), bobSince);
    const topic = await bob.get<Json>(path("state/m.room.topic"));
    assert.equal(topic.body["topic"], "set during the gap");

    // The room goes on both ways.
    const aliceSince = await syncPosition(alice);
    assert.equal((await bob.put(path("send/m.room.message/back"), { msgtype: "m.text", body: "bob is back" })).status, 200);
    await syncUntil(alice, roomId, (v) => bodies(v).includes("bob is back"), aliceSince);

    // And paging back on two fills the rest of the gap from one.
    const paged: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10 && paged.filter((b) => b.startsWith("hidden ")).length < HIDDEN; page++) {
      const answer = await bob.get<{ chunk: SyncEvent[]; end?: string }>(path(`messages?dir=b&limit=20${from ? `&from=${from}` : ""}`));
      assert.equal(answer.status, 200);
      paged.push(...answer.body.chunk.filter((e) => e.type === "m.room.message").map((e) => String(e.content["body"])));
      if (!answer.body.end) break;
      from = answer.body.end;
    }
    for (let i = 0; i < HIDDEN; i++) assert.equal(paged.filter((b) => b === `hidden ${i}`).length, 1, `hidden ${i} once in bob's history`);
  });
});
