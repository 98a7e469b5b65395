/**
 * A gap in the room's graph that /get_missing_events does not fill: one sends 25 events two never
 * hears of (a server ACL keeps two out meanwhile), then lifts the ACL. Two receives the lifting event
 * with prev events it does not know, gets only the last ten by /get_missing_events, asks one for the
 * state before the event (/state_ids) and accepts it; the room goes on, and /messages fills the rest
 * of the gap by backfill.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registeredClients, type ApiClient } from "../harness/client.js";
import { startFederatedServer, type FederatedServer } from "../harness/federation.js";
import { bodies, syncPosition, syncUntil, type Json, type SyncEvent } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";
const HIDDEN = 25;

describe("federation: gaps that /get_missing_events does not fill", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;

  before(async () => {
    const fast = { federation: { retry_initial_ms: 200, retry_max_ms: 1_000 } };
    // ACLs ignore ports: two needs an address of its own to be denied alone.
    [one, two] = await Promise.all([startFederatedServer({ config: fast }), startFederatedServer({ config: fast, host: "127.0.0.2" })]);
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

    assert.equal((await alice.put(path("state/m.room.server_acl"), { allow: ["*"], deny: ["127.0.0.2"], allow_ip_literals: true })).status, 200);
    for (let i = 0; i < HIDDEN; i++) assert.equal((await alice.put(path(`send/m.room.message/h${i}`), { msgtype: "m.text", body: `hidden ${i}` })).status, 200);
    const lifted = await alice.put(path("state/m.room.server_acl"), { allow: ["*"], deny: [], allow_ip_literals: true });
    assert.equal(lifted.status, 200);

    // Two accepts the lifting event though ten events back it still knows none of its ancestors.
    const view = await syncUntil(bob, roomId, (v) => v.timeline.some((e) => e.event_id === lifted.body["event_id"]), bobSince);
    assert.ok(view.timeline.some((e) => e.type === "m.room.server_acl"));
    const acl = await bob.get<Json>(path("state/m.room.server_acl"));
    assert.deepEqual(acl.body["deny"], []);

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
