/**
 * A server whose user joins a room with our users has heard none of their presence (they changed it
 * before the servers shared a room): it gets their current presence on the join, as Synapse sends it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient } from "../harness/client.js";
import { startTwoServers, type FederatedServer } from "../harness/federation.js";
import type { Json } from "../harness/federated-rooms.js";

const V3 = "/_matrix/client/v3";

describe("federation: presence for a server joining a shared room", () => {
  let one: FederatedServer;
  let two: FederatedServer;
  let alice: ApiClient;
  let bob: ApiClient;
  let aliceId: string;

  before(async () => {
    ({ one, two, alice, bob, aliceId } = await startTwoServers({ federation: { retry_initial_ms: 200, retry_max_ms: 1_000 } }));
  });
  after(async () => {
    await Promise.all([one?.destroy(), two?.destroy()]);
  });

  it("tells two alice's presence, set before two shared any room with her, when bob joins her room", async () => {
    assert.equal((await alice.put(`${V3}/presence/${encodeURIComponent(aliceId)}/status`, { presence: "online", status_msg: "set while alone" })).status, 200);
    const roomId = (await alice.post(`${V3}/createRoom`, { preset: "public_chat" })).body["room_id"] as string;
    // Her presence changes are sent in batches a moment later: wait for them to go (to no one), so that
    // only the join can tell two. Before any shared room two knows nothing of her.
    await new Promise((r) => setTimeout(r, 1_000));
    const unknown = await bob.get<Json>(`${V3}/presence/${encodeURIComponent(aliceId)}/status`);
    assert.notEqual(unknown.body["status_msg"], "set while alone");
    assert.equal((await bob.post(`${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(one.serverName)}`, {})).status, 200);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await bob.get<Json>(`${V3}/presence/${encodeURIComponent(aliceId)}/status`);
      if (status.status === 200 && status.body["presence"] === "online" && status.body["status_msg"] === "set while alone") break;
      if (Date.now() > deadline) assert.fail(`two never learned alice's presence: ${JSON.stringify(status.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
